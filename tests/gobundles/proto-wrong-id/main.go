// proto-wrong-id reports TaskState removed, but on a frame id that is not StartupDetails'.
package main

import (
	"time"

	"example.com/airflow-standin-sdk/sdk"
)

func main() {
	sdk.AddDAG("confused_dag").AddTask("misread")
	sdk.CoordinatorHook = sdk.WithSession(func(s *sdk.Session) error {
		first, err := s.ReadFrame()
		if err != nil {
			return err
		}
		body := map[string]any{"type": "TaskState", "state": "removed", "end_date": time.Now().UTC()}
		return s.SendRequest(first.ID+7, body)
	})
	sdk.Main()
}
