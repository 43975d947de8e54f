// proto-crash reads the StartupDetails and then panics: the process exits 2 with a Go
// traceback on stderr and never reports the task's state.
package main

import "example.com/airflow-standin-sdk/sdk"

func main() {
	sdk.AddDAG("crash_dag").AddTask("boom")
	sdk.CoordinatorHook = sdk.WithSession(func(s *sdk.Session) error {
		if _, err := s.ReadFrame(); err != nil {
			return err
		}
		s.Log("info", "about to crash", nil)
		panic("proto-crash: deliberate failure after StartupDetails")
	})
	sdk.Main()
}
