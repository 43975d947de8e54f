// proto-no-terminal reads StartupDetails, logs, and exits 0 without reporting a state.
package main

import "example.com/airflow-standin-sdk/sdk"

func main() {
	sdk.AddDAG("quiet_dag").AddTask("nothing")
	sdk.CoordinatorHook = sdk.WithSession(func(s *sdk.Session) error {
		if _, err := s.ReadFrame(); err != nil {
			return err
		}
		s.Log("info", "starting up", map[string]any{"step": 1})
		s.Log("warning", "nothing to do", map[string]any{"step": 2})
		return nil
	})
	sdk.Main()
}
