// Command hello is a one-DAG bundle.
package main

import sdk "example.com/airflow-standin-sdk/sdk"

func main() {
	sdk.AddDAG("fixture_hello").
		AddTask("say_hello").
		AddTask("say_goodbye")
	sdk.Main()
}
