// Command etl is Acme's nightly ETL bundle: one DAG, three tasks.
package main

import sdk "example.com/airflow-standin-sdk/sdk"

func main() {
	sdk.AddDAG("acme_nightly_etl").
		AddTask("extract").
		AddTask("transform").
		AddTask("load")
	sdk.Main()
}
