// proto-hang-after-connect connects, reads StartupDetails and never answers.
package main

import (
	"time"

	"example.com/airflow-standin-sdk/sdk"
)

func main() {
	sdk.AddDAG("hang_dag").AddTask("wait")
	sdk.CoordinatorHook = sdk.WithSession(func(s *sdk.Session) error {
		s.Log("info", "connected, now stalling", nil)
		time.Sleep(time.Hour)
		return nil
	})
	sdk.Main()
}
