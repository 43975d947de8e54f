// proto-error-reply answers the parse request with an error response, as a bundle whose DAG
// registration fails does.
package main

import "example.com/airflow-standin-sdk/sdk"

func main() {
	sdk.AddDAG("broken_dag").AddTask("never")
	sdk.CoordinatorHook = sdk.WithSession(func(s *sdk.Session) error {
		id, _, err := s.ReadRequest()
		if err != nil {
			return err
		}
		message := "registering dag broken_dag: schedule \"every day\" is not a cron expression"
		s.Log("error", message, nil)
		return s.WriteFrame([]any{id, nil, sdk.ErrorBody(message)})
	})
	sdk.Main()
}
