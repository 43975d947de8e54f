// plugin-server behaves like a bundle on a pre-introspection SDK: it knows no flags at all
// and, run bare, is a go-plugin server that only starts when the host's magic cookie is set.
package main

import (
	"fmt"
	"os"
	"time"
)

func main() {
	if len(os.Args) > 1 {
		fmt.Fprintf(os.Stderr, "flag provided but not defined: %s\n", os.Args[1])
		fmt.Fprintln(os.Stderr, "Usage of bundle: this program takes no arguments")
		os.Exit(2)
	}
	if os.Getenv("AIRFLOW_BUNDLE_MAGIC_COOKIE") == "" {
		fmt.Fprintln(os.Stderr, "This binary is a plugin. These are not meant to be executed directly.")
		fmt.Fprintln(os.Stderr, "Please execute the program that consumes these plugins, which will load any plugins automatically.")
		os.Exit(1)
	}
	// The handshake line a go-plugin server prints before serving; then it serves forever.
	fmt.Println("1|1|tcp|127.0.0.1:1234|grpc")
	for {
		time.Sleep(time.Hour)
	}
}
