// proto-garbage-frame answers StartupDetails with a frame whose payload is not msgpack.
package main

import "example.com/airflow-standin-sdk/sdk"

func main() {
	sdk.AddDAG("garbage_dag").AddTask("noise")
	sdk.CoordinatorHook = sdk.WithSession(func(s *sdk.Session) error {
		if _, err := s.ReadFrame(); err != nil {
			return err
		}
		// 0xc1 is the one byte msgpack never uses.
		return s.WriteRaw([]byte{0, 0, 0, 4, 0xc1, 0xc1, 0xc1, 0xc1})
	})
	sdk.Main()
}
