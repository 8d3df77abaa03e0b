package localcluster

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
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
