// proto-startup-details-first behaves like an SDK that can only run tasks: it expects
// StartupDetails as the first message and exits non-zero on a DagFileParseRequest.
package main

import (
	"fmt"

	"example.com/airflow-standin-sdk/sdk"
)

func main() {
	sdk.AddDAG("task_only_dag").AddTask("run")
	sdk.CoordinatorHook = sdk.WithSession(func(s *sdk.Session) error {
		_, body, err := s.ReadRequest()
		if err != nil {
			return err
		}
		message := fmt.Sprintf("expected StartupDetails as the first message, got %v", body["type"])
		s.Log("error", message, nil)
		return fmt.Errorf("%s", message)
	})
	sdk.Main()
}
