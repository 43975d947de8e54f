// proto-old-schema is a healthy bundle whose SDK speaks a supervisor schema task-sdk 1.3 does
// not accept, so Airflow's reader skips it.
package main

import "example.com/airflow-standin-sdk/sdk"

func main() {
	sdk.SupervisorSchemaVersion = "2025-01-01"
	sdk.AddDAG("old_dag").AddTask("run")
	sdk.Main()
}
