// Command etl is Acme's nightly ETL bundle: one DAG, three tasks that hand their results on
// through XComs.
package main

import (
	"context"
	"errors"
	"fmt"

	sdk "example.com/airflow-standin-sdk/sdk"
)

// extract reads where the raw data lives (the Airflow variable "source", with a default) and
// hands a row count on to transform.
func extract(ctx context.Context, ti *sdk.TaskInstance) error {
	source, err := ti.GetVariable(ctx, "source")
	if errors.Is(err, sdk.ErrNotFound) {
		source = "s3://acme/raw"
	} else if err != nil {
		return err
	}
	ti.Log("info", "extracting", map[string]any{"source": source})
	return ti.PushXCom(ctx, "rows", int64(42))
}

func transform(ctx context.Context, ti *sdk.TaskInstance) error {
	rows, err := ti.PullXCom(ctx, "extract", "rows")
	if err != nil {
		return err
	}
	count, ok := rows.(int64)
	if !ok {
		return fmt.Errorf("extract pushed no row count (got %v)", rows)
	}
	return ti.PushXCom(ctx, "clean_rows", count-2)
}

func load(ctx context.Context, ti *sdk.TaskInstance) error {
	rows, err := ti.PullXCom(ctx, "transform", "clean_rows")
	if err != nil {
		return err
	}
	ti.Log("info", "loaded", map[string]any{"rows": rows})
	return nil
}

func main() {
	sdk.AddDAG("acme_nightly_etl").
		Task("extract", extract).
		Task("transform", transform).
		Task("load", load)
	sdk.Main()
}
