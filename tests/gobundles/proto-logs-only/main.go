// proto-logs-only writes log lines and exits 0 without ever answering the parse request.
package main

import (
	"fmt"
	"os"

	"example.com/airflow-standin-sdk/sdk"
)

func main() {
	sdk.AddDAG("quiet_dag").AddTask("nothing")
	sdk.CoordinatorHook = func(comm, logs string) int {
		s, err := sdk.Connect(comm, logs)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer s.Close()
		s.Log("info", "starting up", map[string]any{"step": 1})
		s.Log("warning", "nothing to do", map[string]any{"step": 2})
		return 0
	}
	sdk.Main()
}
