// proto-error-frame answers StartupDetails with a frame carrying only an error.
package main

import "example.com/airflow-standin-sdk/sdk"

func main() {
	sdk.AddDAG("error_dag").AddTask("refuse")
	sdk.CoordinatorHook = sdk.WithSession(func(s *sdk.Session) error {
		first, err := s.ReadFrame()
		if err != nil {
			return err
		}
		return s.WriteFrame([]any{first.ID, nil, map[string]any{
			"type": "ErrorResponse", "error": "GENERIC_ERROR",
			"detail": map[string]any{"message": "proto-error-frame refuses every task"},
		}})
	})
	sdk.Main()
}
