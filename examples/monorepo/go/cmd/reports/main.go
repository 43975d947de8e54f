// Command reports builds Acme's reporting bundle: two DAGs.
package main

import sdk "example.com/airflow-standin-sdk/sdk"

func main() {
	sdk.AddDAG("acme_weekly_report").
		AddTask("collect").
		AddTask("render").
		AddTask("mail")
	sdk.AddDAG("acme_kpi_refresh").
		AddTask("refresh")
	sdk.Main()
}
