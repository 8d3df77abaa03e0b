package main

import (
	"fmt"
	"io"
)

// runInject is a placeholder replaced by the engineer building this command.
func runInject(_ []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "inject: not built yet")
	return 2
}
