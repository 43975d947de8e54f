// proto-error-reply answers the parse request with an error response, as a bundle whose DAG
// registration fails does.
package main

import (
	"fmt"
	"os"

	"example.com/airflow-standin-sdk/sdk"
)

func main() {
	sdk.AddDAG("broken_dag").AddTask("never")
	sdk.CoordinatorHook = func(comm, logs string) int {
		s, err := sdk.Connect(comm, logs)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer s.Close()
		id, _, err := s.ReadRequest()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		message := "registering dag broken_dag: schedule \"every day\" is not a cron expression"
		s.Log("error", message, nil)
		if err := s.WriteFrame([]any{id, nil, sdk.ErrorBody(message)}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		return 0
	}
	sdk.Main()
}
