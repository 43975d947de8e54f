// proto-wrong-reply answers the parse request with a body of the wrong type.
package main

import "example.com/airflow-standin-sdk/sdk"

func main() {
	sdk.AddDAG("confused_dag").AddTask("misread")
	sdk.CoordinatorHook = sdk.WithSession(func(s *sdk.Session) error {
		id, _, err := s.ReadRequest()
		if err != nil {
			return err
		}
		return s.WriteFrame([]any{id, map[string]any{"type": "OKResponse", "ok": true}, nil})
	})
	sdk.Main()
}
