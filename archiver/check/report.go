package check

import (
	"fmt"
	"io"
)

// Write prints one line per step, "ok" or "FAIL" with the message, for `wal-archiver check`.
func Write(w io.Writer, steps []Step) error {
	for _, s := range steps {
		var err error
		if s.OK {
			_, err = fmt.Fprintf(w, "ok    %s\n", s.Name)
		} else {
			_, err = fmt.Fprintf(w, "FAIL  %s: %s\n", s.Name, s.Message)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// ExitCode follows barman-cloud's --test: 0 when every step passed, 2 when the store could not be reached
// (DNS, connection, TLS, timeout), 1 for any other failure (missing bucket, credentials, permissions).
func ExitCode(steps []Step) int {
	if OK(steps) {
		return 0
	}
	for _, s := range steps {
		if s.OK {
			continue
		}
		switch s.Class {
		case ClassDNS, ClassConnect, ClassTLS, ClassTimeout:
			return 2
		}
		return 1
	}
	return 1
}
