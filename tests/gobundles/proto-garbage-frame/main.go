// proto-garbage-frame answers with a correctly framed payload that is not msgpack.
package main

import (
	"fmt"
	"os"

	"example.com/airflow-standin-sdk/sdk"
)

func main() {
	sdk.AddDAG("garbage_dag").AddTask("noise")
	sdk.CoordinatorHook = func(comm, logs string) int {
		s, err := sdk.Connect(comm, logs)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer s.Close()
		if _, _, err := s.ReadRequest(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		// 0xc1 is the one byte msgpack never uses.
		payload := []byte{0xc1, 0xc1, 0xc1, 0xc1}
		if err := s.WriteRaw([]byte{0, 0, 0, byte(len(payload))}, payload); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		return 0
	}
	sdk.Main()
}
