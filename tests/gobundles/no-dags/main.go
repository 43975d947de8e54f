// no-dags answers --airflow-metadata correctly but registers no DAG at all.
package main

import "example.com/airflow-standin-sdk/sdk"

func main() {
	sdk.Generation = 3
	sdk.Main()
}
