// Command beta is the second bundle: two DAGs.
package main

import (
	sdk "example.com/airflow-standin-sdk/sdk"
	"example.com/fixtures/twosubdir/internal/names"
)

func main() {
	register()
	sdk.Main()
}

func register() {
	sdk.AddDAG(names.Prefix + "beta_daily").AddTask("collect").AddTask("report")
	sdk.AddDAG(names.Prefix + "beta_weekly").AddTask("summarise")
}
