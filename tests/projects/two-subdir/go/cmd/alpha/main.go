// Command alpha is the first bundle of the fixture.
package main

import (
	sdk "example.com/airflow-standin-sdk/sdk"
	"example.com/fixtures/twosubdir/internal/names"
)

func main() {
	sdk.AddDAG(names.Prefix + "alpha").AddTask("extract").AddTask("load")
	sdk.Main()
}
