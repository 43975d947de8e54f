// hang never answers: it starts a child of its own (to prove the whole process group is
// killed) and then sleeps forever, whatever the flags.
package main

import (
	"os"
	"os/exec"
	"time"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "child" {
		for {
			time.Sleep(time.Hour)
		}
	}
	self, err := os.Executable()
	if err == nil {
		child := exec.Command(self, "child")
		_ = child.Start()
	}
	for {
		time.Sleep(time.Hour)
	}
}
