// proto-startup-details-first behaves like an SDK that can only run tasks: it expects
// StartupDetails as the first message and exits non-zero on a DagFileParseRequest.
package main

import (
	"fmt"
	"os"

	"example.com/airflow-standin-sdk/sdk"
)

func main() {
	sdk.AddDAG("task_only_dag").AddTask("run")
	sdk.CoordinatorHook = func(comm, logs string) int {
		s, err := sdk.Connect(comm, logs)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer s.Close()
		_, body, err := s.ReadRequest()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		message := fmt.Sprintf("expected StartupDetails as the first message, got %v", body["type"])
		s.Log("error", message, nil)
		fmt.Fprintln(os.Stderr, message)
		return 1
	}
	sdk.Main()
}
