// Command offline builds from vendor/ alone.
package main

import sdk "example.com/airflow-standin-sdk/sdk"

func main() {
	sdk.AddDAG("fixture_offline").AddTask("only_task")
	sdk.Main()
}
