// yaml-only is an SDK that knew --airflow-metadata before it learned --format: asked for
// JSON it fails the way Go's flag package does; asked plainly it prints YAML.
package main

import (
	"fmt"
	"os"
	"strings"

	"example.com/airflow-standin-sdk/sdk"
)

func main() {
	for _, arg := range os.Args[1:] {
		if arg == "--format" || strings.HasPrefix(arg, "--format=") {
			fmt.Fprintln(os.Stderr, "flag provided but not defined: -format")
			fmt.Fprintln(os.Stderr, "Usage of bundle:\n  -airflow-metadata\n    \tprint the bundle's metadata and exit")
			os.Exit(2)
		}
	}
	sdk.Generation = 3
	sdk.AddDAG("yaml_dag").AddTask("a").AddTask("b")
	sdk.Main()
}
