package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/layout"
	"github.com/objectstore-webhook/objectstore-webhook/contract"
)

func runCheck(args []string, stdout, stderr io.Writer) int {
	s := newSettings("check", stderr)
	timeout := s.fs.Duration("timeout", 30*time.Second, "give up after this long")
	if err := s.parse(args); err != nil {
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	st, prefix, err := openStore(ctx, s, 1)
	if err != nil {
		fmt.Fprintln(stderr, "wal-archiver check:", err)
		return 1
	}
	lay, err := layout.New(prefix, s.get(contract.ServerName, "check"))
	if err != nil {
		fmt.Fprintln(stderr, "wal-archiver check:", err)
		return 1
	}
	if _, err := st.List(ctx, lay.WALPrefix()); err != nil {
		fmt.Fprintln(stderr, "wal-archiver check:", err)
		return 1
	}
	fmt.Fprintln(stdout, "ok:", lay.WALPrefix())
	return 0
}
