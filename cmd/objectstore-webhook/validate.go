package main

import (
	"fmt"
	"io"
)

// runValidate is a placeholder replaced by the engineer building this command.
func runValidate(_ []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "validate: not built yet")
	return 2
}
