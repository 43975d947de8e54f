// gen2 is a bundle on the middle SDK generation: it answers only --dump-bundle-spec.
package main

import "example.com/airflow-standin-sdk/sdk"

func main() {
	sdk.Generation = 2
	sdk.AddDAG("legacy_dag").AddTask("first").AddTask("second")
	sdk.AddDAG("another_dag").AddTask("only")
	sdk.Main()
}
