// proto-correct answers the coordinator protocol as a healthy bundle does.
package main

import "example.com/airflow-standin-sdk/sdk"

func main() {
	sdk.AddDAG("simple_dag").AddTask("extract").AddTask("transform").AddTask("load")
	sdk.AddDAG("concurrent_xcom_dag").AddTask("pull_xcoms_concurrently")
	sdk.Main()
}
