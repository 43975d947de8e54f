// proto-crash connects to the supervisor, logs a line and panics before answering.
package main

import "example.com/airflow-standin-sdk/sdk"

func main() {
	sdk.AddDAG("crash_dag").AddTask("boom")
	sdk.CoordinatorHook = sdk.WithSession(func(s *sdk.Session) error {
		s.Log("info", "about to crash", nil)
		panic("proto-crash: deliberate failure while parsing dags")
	})
	sdk.Main()
}
