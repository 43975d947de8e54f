// proto-succeeds-anything reports success for every task, including ones it does not have.
package main

import (
	"time"

	"example.com/airflow-standin-sdk/sdk"
)

func main() {
	sdk.AddDAG("yes_dag").AddTask("anything")
	sdk.CoordinatorHook = sdk.WithSession(func(s *sdk.Session) error {
		first, err := s.ReadFrame()
		if err != nil {
			return err
		}
		return s.SendRequest(first.ID, map[string]any{
			"type": "SucceedTask", "state": "success", "end_date": time.Now().UTC(),
			"task_outlets": []any{}, "outlet_events": []any{},
		})
	})
	sdk.Main()
}
