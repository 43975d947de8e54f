// proto-startup-details-error is a task-only SDK that answers a DagFileParseRequest with an
// error response instead of exiting.
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
		id, body, err := s.ReadRequest()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		message := fmt.Sprintf("first message must be StartupDetails, not %v", body["type"])
		if err := s.WriteFrame([]any{id, nil, sdk.ErrorBody(message)}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		return 1
	}
	sdk.Main()
}
