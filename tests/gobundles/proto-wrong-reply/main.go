// proto-wrong-reply answers the parse request with a body of the wrong type.
package main

import (
	"fmt"
	"os"

	"example.com/airflow-standin-sdk/sdk"
)

func main() {
	sdk.AddDAG("confused_dag").AddTask("misread")
	sdk.CoordinatorHook = func(comm, logs string) int {
		s, err := sdk.Connect(comm, logs)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer s.Close()
		id, _, err := s.ReadRequest()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		if err := s.WriteFrame([]any{id, map[string]any{"type": "OKResponse", "ok": true}, nil}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		return 0
	}
	sdk.Main()
}
