package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/check"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/storeconfig"
	"github.com/objectstore-webhook/objectstore-webhook/internal/contract"
)

// runCheck proves the store is usable with the settings the sidecar would run with: it reaches the store,
// writes, lists, reads back and deletes a probe under the server's prefix, and says which step failed why.
// Exit codes follow barman-cloud-check-wal-archive --test: 0 usable, 2 unreachable, 1 anything else.
func runCheck(args []string, stdout, stderr io.Writer) int {
	s := newSettings("check", stderr)
	timeout := s.fs.Duration("timeout", 30*time.Second, "time allowed for each step")
	if err := s.parse(args); err != nil {
		return 2
	}
	// A settings file that does not parse would otherwise leave the environment answering unnoticed.
	if err := s.snap.Problem(); err != nil {
		fmt.Fprintln(stderr, "wal-archiver check:", err)
		return 1
	}
	ctx := context.Background()
	cfg := storeconfig.SettingsFromEnv(s.getenv)
	// One attempt per request: a check reports the first failure instead of retrying it away.
	cfg.MaxAttempts = 1
	st, loc, err := storeconfig.Open(ctx, cfg)
	if err != nil {
		fmt.Fprintln(stderr, "wal-archiver check:", err)
		return 2
	}
	prefix := loc.Join(s.get(contract.ServerName, "check"))
	steps := check.Run(ctx, check.Target{
		Store:       st,
		Bucket:      loc.Bucket,
		Prefix:      prefix,
		Endpoint:    cfg.EndpointURL,
		StepTimeout: *timeout,
	})
	if err := check.Write(stdout, steps); err != nil {
		fmt.Fprintln(stderr, "wal-archiver check:", err)
		return 1
	}
	return check.ExitCode(steps)
}
