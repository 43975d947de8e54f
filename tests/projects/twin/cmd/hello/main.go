// Command hello is a one-DAG bundle named like the single fixture's (tests that two
// distributions shipping a bundle of one name install distinct files).
package main

import sdk "example.com/airflow-standin-sdk/sdk"

func main() {
	sdk.AddDAG("fixture_twin_hello").
		AddTask("say_hello")
	sdk.Main()
}
