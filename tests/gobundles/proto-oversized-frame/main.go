// proto-oversized-frame declares a 2 GiB reply and then sends only a few bytes of it.
package main

import (
	"time"

	"example.com/airflow-standin-sdk/sdk"
)

func main() {
	sdk.AddDAG("oversized_dag").AddTask("huge")
	sdk.CoordinatorHook = sdk.WithSession(func(s *sdk.Session) error {
		if _, _, err := s.ReadRequest(); err != nil {
			return err
		}
		if err := s.WriteRaw([]byte{0x80, 0, 0, 0}, []byte{0x93, 0x00}); err != nil {
			return err
		}
		// Stay alive as if the rest were coming: the supervisor must not wait for it.
		time.Sleep(time.Hour)
		return nil
	})
	sdk.Main()
}
