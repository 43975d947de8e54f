// proto-hang-after-connect dials the supervisor, logs, and then never answers.
package main

import (
	"fmt"
	"os"
	"time"

	"example.com/airflow-standin-sdk/sdk"
)

func main() {
	sdk.AddDAG("hang_dag").AddTask("wait")
	sdk.CoordinatorHook = func(comm, logs string) int {
		s, err := sdk.Connect(comm, logs)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer s.Close()
		s.Log("info", "connected, now stalling", nil)
		time.Sleep(time.Hour)
		return 0
	}
	sdk.Main()
}
