package localcluster

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// BuildWebhook compiles ./cmd/objectstore-webhook of the checkout at root into out, so a test always runs
// the code it sits next to. The Go build cache makes a repeat cheap.
func BuildWebhook(ctx context.Context, root, out string) error {
	return BuildCommand(ctx, root, "./cmd/objectstore-webhook", out)
}

// BuildCommand compiles the main package pkg (e.g. "./cmd/localcluster") of the checkout at root into out.
func BuildCommand(ctx context.Context, root, pkg, out string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, pkg)
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build -o %s %s: %w\n%s", out, pkg, err, stderr.Bytes())
	}
	return nil
}

// TestWebhookBinary returns $OBJECTSTORE_WEBHOOK_BIN when the Makefile has built and named the binary,
// and otherwise builds the checkout's own into dir. Tests call it so that `go test` alone runs current code.
func TestWebhookBinary(ctx context.Context, root, dir string) (string, error) {
	if bin := os.Getenv("OBJECTSTORE_WEBHOOK_BIN"); bin != "" {
		return bin, nil
	}
	out := filepath.Join(dir, "objectstore-webhook")
	return out, BuildWebhook(ctx, root, out)
}
