package main

import (
	"fmt"
	"io"
)

// runServe is a placeholder replaced by the engineer building this command.
func runServe(_ []string, stderr io.Writer) int {
	fmt.Fprintln(stderr, "serve: not built yet")
	return 2
}
