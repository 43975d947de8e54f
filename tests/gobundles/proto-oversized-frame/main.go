// proto-oversized-frame declares a 2 GiB frame and stays alive as if the rest were coming:
// the supervisor must refuse it from its length alone.
package main

import (
	"time"

	"example.com/airflow-standin-sdk/sdk"
)

func main() {
	sdk.AddDAG("oversized_dag").AddTask("huge")
	sdk.CoordinatorHook = sdk.WithSession(func(s *sdk.Session) error {
		if _, err := s.ReadFrame(); err != nil {
			return err
		}
		if err := s.WriteRaw([]byte{0x80, 0, 0, 0, 0x93, 0x00}); err != nil {
			return err
		}
		time.Sleep(time.Hour)
		return nil
	})
	sdk.Main()
}
