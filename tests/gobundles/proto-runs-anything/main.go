// proto-runs-anything runs code for any task it is asked for, even one it does not have:
// it asks the supervisor for a variable before looking the task up.
package main

import "example.com/airflow-standin-sdk/sdk"

func main() {
	sdk.AddDAG("eager_dag").AddTask("anything")
	sdk.CoordinatorHook = sdk.WithSession(func(s *sdk.Session) error {
		if _, err := s.ReadFrame(); err != nil {
			return err
		}
		if err := s.SendRequest(0, map[string]any{"type": "GetVariable", "key": "api_token"}); err != nil {
			return err
		}
		_, err := s.ReadFrame()
		return err
	})
	sdk.Main()
}
