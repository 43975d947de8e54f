// proto-garbage-frame answers with a correctly framed payload that is not msgpack.
package main

import "example.com/airflow-standin-sdk/sdk"

func main() {
	sdk.AddDAG("garbage_dag").AddTask("noise")
	sdk.CoordinatorHook = sdk.WithSession(func(s *sdk.Session) error {
		if _, _, err := s.ReadRequest(); err != nil {
			return err
		}
		// 0xc1 is the one byte msgpack never uses.
		payload := []byte{0xc1, 0xc1, 0xc1, 0xc1}
		return s.WriteRaw([]byte{0, 0, 0, byte(len(payload))}, payload)
	})
	sdk.Main()
}
