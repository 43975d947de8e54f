// proto-log-flood writes log lines as fast as it can and never answers StartupDetails.
package main

import (
	"strings"

	"example.com/airflow-standin-sdk/sdk"
)

func main() {
	sdk.AddDAG("flood_dag").AddTask("shout")
	sdk.CoordinatorHook = sdk.WithSession(func(s *sdk.Session) error {
		line := []byte(`{"event": "` + strings.Repeat("x", 1<<20) + `", "level": "info"}` + "\n")
		for {
			if _, err := s.Logs.Write(line); err != nil {
				return err
			}
		}
	})
	sdk.Main()
}
