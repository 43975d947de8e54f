// proto-logs-only writes log lines and exits 0 without ever answering the parse request.
package main

import "example.com/airflow-standin-sdk/sdk"

func main() {
	sdk.AddDAG("quiet_dag").AddTask("nothing")
	sdk.CoordinatorHook = sdk.WithSession(func(s *sdk.Session) error {
		s.Log("info", "starting up", map[string]any{"step": 1})
		s.Log("warning", "nothing to do", map[string]any{"step": 2})
		return nil
	})
	sdk.Main()
}
