// huge-output answers every flag with 100 MB of output, far beyond any real manifest.
package main

import (
	"bufio"
	"os"
	"strings"
)

func main() {
	line := "dags: " + strings.Repeat("x", 1018) + "\n" // 1 KiB per line
	w := bufio.NewWriterSize(os.Stdout, 1<<16)
	for written := 0; written < 100_000_000; written += len(line) {
		if _, err := w.WriteString(line); err != nil {
			os.Exit(1) // the reader went away
		}
	}
	_ = w.Flush()
}
