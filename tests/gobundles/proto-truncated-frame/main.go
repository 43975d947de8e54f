// proto-truncated-frame starts a 100-byte frame, writes 3 bytes of it and exits.
package main

import "example.com/airflow-standin-sdk/sdk"

func main() {
	sdk.AddDAG("truncated_dag").AddTask("half")
	sdk.CoordinatorHook = sdk.WithSession(func(s *sdk.Session) error {
		if _, err := s.ReadFrame(); err != nil {
			return err
		}
		return s.WriteRaw([]byte{0, 0, 0, 100, 0x92, 0x00, 0x80})
	})
	sdk.Main()
}
