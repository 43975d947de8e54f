// proto-correct is a healthy bundle whose tasks use the supervisor the way real DAGs do:
// variables, connections and XComs, a task that fails on request, and one that panics.
package main

import (
	"context"
	"errors"
	"fmt"

	"example.com/airflow-standin-sdk/sdk"
)

func extract(ctx context.Context, ti *sdk.TaskInstance) error {
	source, err := ti.GetVariable(ctx, "source")
	if err != nil {
		return err
	}
	conn, err := ti.GetConnection(ctx, "warehouse")
	if err != nil {
		return err
	}
	ti.Log("info", "extracting", map[string]any{"source": source, "host": conn.Host})
	return ti.PushXCom(ctx, "rows", map[string]any{"source": source, "count": int64(3)})
}

func transform(ctx context.Context, ti *sdk.TaskInstance) error {
	rows, err := ti.PullXCom(ctx, "extract", "rows")
	if err != nil {
		return err
	}
	data, ok := rows.(map[string]any)
	if !ok {
		return fmt.Errorf("no rows from extract (got %v)", rows)
	}
	return ti.PushXCom(ctx, "return_value", data["count"])
}

func load(ctx context.Context, ti *sdk.TaskInstance) error {
	mode, err := ti.GetVariable(ctx, "load_mode")
	if errors.Is(err, sdk.ErrNotFound) {
		mode = "append"
	} else if err != nil {
		return err
	}
	if mode == "fail" {
		return errors.New("load_mode is fail")
	}
	if mode == "panic" {
		panic("load_mode is panic")
	}
	return nil
}

func main() {
	sdk.AddDAG("simple_dag").Task("extract", extract).Task("transform", transform).Task("load", load)
	sdk.AddDAG("concurrent_xcom_dag").AddTask("pull_xcoms_concurrently")
	sdk.Main()
}
