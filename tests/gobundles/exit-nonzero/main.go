// exit-nonzero fails while loading its DAGs, whatever it is asked: a message on stderr and
// exit status 3.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "panic: loading DAG definitions: connection to config store refused")
	os.Exit(3)
}
