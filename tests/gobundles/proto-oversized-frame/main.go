// proto-oversized-frame declares a 2 GiB reply and then sends only a few bytes of it.
package main

import (
	"fmt"
	"os"
	"time"

	"example.com/airflow-standin-sdk/sdk"
)

func main() {
	sdk.AddDAG("oversized_dag").AddTask("huge")
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
		if err := s.WriteRaw([]byte{0x80, 0, 0, 0}, []byte{0x93, 0x00}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		// Stay alive as if the rest were coming: the supervisor must not wait for it.
		time.Sleep(time.Hour)
		return 0
	}
	sdk.Main()
}
