// proto-hang-before-connect never dials the supervisor.
package main

import (
	"time"

	"example.com/airflow-standin-sdk/sdk"
)

func main() {
	sdk.AddDAG("hang_dag").AddTask("wait")
	sdk.CoordinatorHook = func(comm, logs string) int {
		time.Sleep(time.Hour)
		return 0
	}
	sdk.Main()
}
