// proto-lying-manifest registers different DAGs when Airflow runs it than when it describes
// itself, as a bundle whose registration depends on its environment would: a task its manifest
// promises is not there at run time, so Airflow gets TaskState removed for it.
package main

import (
	"os"
	"strings"

	"example.com/airflow-standin-sdk/sdk"
)

func main() {
	serving := false
	for _, arg := range os.Args[1:] {
		if strings.HasPrefix(arg, "--comm") {
			serving = true
		}
	}
	if serving {
		sdk.AddDAG("shared_dag").AddTask("extract").AddTask("publish")
		sdk.AddDAG("runtime_only_dag").AddTask("surprise")
	} else {
		sdk.AddDAG("shared_dag").AddTask("extract").AddTask("load")
		sdk.AddDAG("manifest_only_dag").AddTask("promised")
	}
	sdk.Main()
}
