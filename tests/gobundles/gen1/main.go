// gen1 is a bundle on the oldest SDK generation: it answers only --bundle-metadata, which
// names the SDK but lists no DAGs, although it registers one.
package main

import "example.com/airflow-standin-sdk/sdk"

func main() {
	sdk.Generation = 1
	sdk.AddDAG("invisible_dag").AddTask("t")
	sdk.Main()
}
