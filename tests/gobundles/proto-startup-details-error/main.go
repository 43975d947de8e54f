// proto-startup-details-error is a task-only SDK that answers a DagFileParseRequest with an
// error response instead of exiting.
package main

import (
	"fmt"

	"example.com/airflow-standin-sdk/sdk"
)

func main() {
	sdk.AddDAG("task_only_dag").AddTask("run")
	sdk.CoordinatorHook = sdk.WithSession(func(s *sdk.Session) error {
		id, body, err := s.ReadRequest()
		if err != nil {
			return err
		}
		message := fmt.Sprintf("first message must be StartupDetails, not %v", body["type"])
		return s.WriteFrame([]any{id, nil, sdk.ErrorBody(message)})
	})
	sdk.Main()
}
