// Command pipeline is a bundle whose tasks use the supervisor: a variable in, an XCom across,
// and one task that always fails.
package main

import (
	"context"
	"errors"
	"fmt"

	sdk "example.com/airflow-standin-sdk/sdk"
)

func produce(ctx context.Context, ti *sdk.TaskInstance) error {
	greeting, err := ti.GetVariable(ctx, "greeting")
	if err != nil {
		return err
	}
	return ti.PushXCom(ctx, "message", greeting+", world")
}

func consume(ctx context.Context, ti *sdk.TaskInstance) error {
	message, err := ti.PullXCom(ctx, "produce", "message")
	if err != nil {
		return err
	}
	if message == nil {
		return errors.New("produce pushed no message")
	}
	ti.Log("info", "consumed", map[string]any{"message": message})
	return ti.PushXCom(ctx, "return_value", fmt.Sprintf("%v!", message))
}

func explode(context.Context, *sdk.TaskInstance) error {
	return errors.New("explode always fails")
}

func main() {
	sdk.AddDAG("fixture_tasks").
		Task("produce", produce).
		Task("consume", consume).
		Task("explode", explode)
	sdk.Main()
}
