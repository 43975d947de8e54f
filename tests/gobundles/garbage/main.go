// garbage accepts every flag and prints binary junk that is neither YAML nor JSON.
package main

import "os"

func main() {
	junk := []byte{0x00, 0xff, 0xfe, '{', '[', 0x01, ':', 0x80, 0x81, '\n', 0xc3, 0x28, 0x00, '\t', '-', ' ', 0x9f}
	for i := 0; i < 64; i++ {
		os.Stdout.Write(junk)
	}
}
