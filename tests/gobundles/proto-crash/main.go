// proto-crash connects to the supervisor, logs a line and panics before answering.
package main

import (
	"fmt"
	"os"

	"example.com/airflow-standin-sdk/sdk"
)

func main() {
	sdk.AddDAG("crash_dag").AddTask("boom")
	sdk.CoordinatorHook = func(comm, logs string) int {
		s, err := sdk.Connect(comm, logs)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		s.Log("info", "about to crash", nil)
		panic("proto-crash: deliberate failure while parsing dags")
	}
	sdk.Main()
}
