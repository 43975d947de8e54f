// gen3 is a bundle on the newest SDK generation: it answers --airflow-metadata (YAML or
// --format json) with two DAGs, one of them carrying a non-ASCII task id.
package main

import "example.com/airflow-standin-sdk/sdk"

func main() {
	sdk.Generation = 3
	sdk.AddDAG("simple_dag").AddTask("extract").AddTask("transform").AddTask("load")
	sdk.AddDAG("concurrent_xcom_dag").AddTask("pull_xcoms_concurrently").AddTask("résumé_über").AddTask("push")
	sdk.Main()
}
