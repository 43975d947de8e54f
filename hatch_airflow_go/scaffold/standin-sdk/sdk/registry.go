// Package sdk is a stand-in for the Airflow Go SDK. From the outside (the process's flags, its
// answers, and Airflow's task protocol) it behaves like an SDK bundle: it answers the bundle
// introspection flags, and started by Airflow's supervisor with --comm and --logs it runs one
// task and reports its final state. It uses only the standard library.
package sdk

import (
	"context"
	"fmt"
	"os"
	"strings"
)

// TaskFunc is a task's body. It returns nil for success; an error (or a panic) fails the task.
// ctx is cancelled when the supervisor asks the process to stop (SIGINT or SIGTERM).
type TaskFunc func(ctx context.Context, ti *TaskInstance) error

// DAG is a registered DAG and its tasks, in registration order.
type DAG struct {
	ID    string
	Tasks []string
	funcs map[string]TaskFunc
}

// Generation selects which introspection flags the binary understands, newest first:
// 3 answers --airflow-metadata, 2 --dump-bundle-spec, 1 only --bundle-metadata.
var Generation = 3

// Language and Version are reported as the SDK's identity; SupervisorSchemaVersion is the
// task-protocol schema the runtime speaks (the released supervisor accepts "2026-06-16").
var (
	Language                = "go"
	Version                 = "v0.1.0"
	SupervisorSchemaVersion = "2026-06-16"
)

var registry []*DAG

// AddDAG registers a DAG with the given id.
func AddDAG(id string) *DAG {
	d := &DAG{ID: id, funcs: map[string]TaskFunc{}}
	registry = append(registry, d)
	return d
}

// AddTask registers a task whose body does nothing and succeeds, and returns the DAG for
// chaining.
func (d *DAG) AddTask(id string) *DAG {
	return d.Task(id, nil)
}

// Task registers a task with a body (nil: a body that succeeds) and returns the DAG.
func (d *DAG) Task(id string, fn TaskFunc) *DAG {
	d.Tasks = append(d.Tasks, id)
	if fn == nil {
		fn = func(context.Context, *TaskInstance) error { return nil }
	}
	d.funcs[id] = fn
	return d
}

// DAGs returns the registered DAGs in registration order.
func DAGs() []*DAG { return registry }

// lookupTask finds a registered task by dag and task id, as the runtime does for StartupDetails.
func lookupTask(dagID, taskID string) (TaskFunc, bool) {
	for _, d := range registry {
		if d.ID != dagID {
			continue
		}
		if fn, ok := d.funcs[taskID]; ok {
			return fn, true
		}
	}
	return nil, false
}

// Main answers the process's command line and exits with the status an SDK bundle uses:
// 0 after a clean run, 1 when the task protocol failed or the flags are incomplete, 2 for a
// flag it does not know.
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
	case comm == "" && logs == "":
		fmt.Fprintln(os.Stderr, "--comm and --logs are required")
		return 1
	case comm == "" || logs == "":
		fmt.Fprintln(os.Stderr, "--comm and --logs must be supplied together")
		return 1
	}
	if CoordinatorHook != nil {
		return CoordinatorHook(comm, logs)
	}
	if err := Serve(comm, logs); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}
