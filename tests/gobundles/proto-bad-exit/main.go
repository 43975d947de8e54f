// proto-bad-exit answers like the SDK and then exits 3 anyway, so Airflow records failed.
package main

import (
	"os"

	"example.com/airflow-standin-sdk/sdk"
)

func main() {
	sdk.AddDAG("exit_dag").AddTask("done")
	sdk.CoordinatorHook = func(comm, logs string) int {
		if err := sdk.Serve(comm, logs); err != nil {
			os.Stderr.WriteString(err.Error() + "\n")
		}
		os.Stderr.WriteString("proto-bad-exit: exiting 3 after the terminal message\n")
		return 3
	}
	sdk.Main()
}
