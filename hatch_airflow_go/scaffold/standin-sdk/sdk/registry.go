// Package sdk is a stand-in for the Airflow Go SDK: it registers DAGs and tasks and answers
// the bundle introspection flags and the coordinator protocol the way an SDK bundle does.
package sdk

import (
	"fmt"
	"os"
	"strings"
)

// DAG is a registered DAG and its tasks, in registration order.
type DAG struct {
	ID    string
	Tasks []string
}

// Generation selects which introspection flags the binary understands, newest first:
// 3 answers --airflow-metadata, 2 --dump-bundle-spec, 1 only --bundle-metadata.
var Generation = 3

// Language and Version are reported as the SDK's identity.
var (
	Language                = "go"
	Version                 = "v0.1.0"
	SupervisorSchemaVersion = "2026-06-16"
)

var registry []*DAG

// AddDAG registers a DAG with the given id.
func AddDAG(id string) *DAG {
	d := &DAG{ID: id}
	registry = append(registry, d)
	return d
}

// AddTask registers a task on the DAG and returns the DAG for chaining.
func (d *DAG) AddTask(id string) *DAG {
	d.Tasks = append(d.Tasks, id)
	return d
}

// DAGs returns the registered DAGs in registration order.
func DAGs() []*DAG { return registry }

// Main answers the process's command line and exits.
func Main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	var comm, logs, format string
	mode := ""
	for i := 0; i < len(args); i++ {
		name, value, hasValue := strings.Cut(args[i], "=")
		takeValue := func() string {
			if hasValue {
				return value
			}
			if i+1 < len(args) {
				i++
				return args[i]
			}
			return ""
		}
		switch name {
		case "--airflow-metadata", "--dump-bundle-spec", "--bundle-metadata":
			mode = name
		case "--format":
			format = takeValue()
		case "--comm":
			comm = takeValue()
		case "--logs":
			logs = takeValue()
		default:
			fmt.Fprintf(os.Stderr, "unknown argument %q\n", args[i])
			return 2
		}
	}
	switch {
	case mode == "--airflow-metadata" && Generation >= 3:
		return printAirflowMetadata(format)
	case mode == "--dump-bundle-spec" && Generation >= 2:
		return printDumpBundleSpec()
	case mode == "--bundle-metadata":
		return printBundleMetadata()
	case mode != "":
		fmt.Fprintf(os.Stderr, "flag provided but not defined: %s\n", mode)
		return 2
	case comm == "" || logs == "":
		fmt.Fprintln(os.Stderr, "--comm and --logs are required")
		return 2
	}
	return serveCoordinator(comm, logs)
}
