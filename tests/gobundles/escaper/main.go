// escaper is a correct gen3 bundle that, whatever it is asked, first starts two processes a
// process-group kill cannot reach: "sleeper", a copy of itself in a session of its own
// (setsid), and "daemon", started by a setsid'd "forker" that exits at once (the classic
// double fork: the daemon is handed to init). Both sleep for ten minutes.
package main

import (
	"os"
	"os/exec"
	"syscall"
	"time"

	"example.com/airflow-standin-sdk/sdk"
)

func spawn(mode string) {
	self, err := os.Executable()
	if err != nil {
		return
	}
	child := exec.Command(self, mode) // stdin, stdout and stderr: /dev/null
	child.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	_ = child.Start()
}

func main() {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "sleeper", "daemon":
			time.Sleep(10 * time.Minute)
			return
		case "forker":
			spawn("daemon")
			return
		}
	}
	spawn("sleeper")
	spawn("forker")
	sdk.Generation = 3
	sdk.AddDAG("escaper_dag").AddTask("extract")
	sdk.Main()
}
