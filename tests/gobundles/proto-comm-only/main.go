// proto-comm-only dials the comm address but never the logs address, then waits.
package main

import (
	"net"
	"time"

	"example.com/airflow-standin-sdk/sdk"
)

func main() {
	sdk.AddDAG("half_dag").AddTask("nothing")
	sdk.CoordinatorHook = func(comm, logs string) int {
		conn, err := net.Dial("tcp", comm)
		if err != nil {
			return 1
		}
		defer conn.Close()
		time.Sleep(time.Hour)
		return 0
	}
	sdk.Main()
}
