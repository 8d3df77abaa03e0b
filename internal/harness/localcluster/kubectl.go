package localcluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Result is what one kubectl run printed and how it exited.
type Result struct {
	Stdout   string
	Stderr   string
	ExitCode int
}

// Kubectl runs the real kubectl against the cluster as admin. A non-zero exit is not an error: it is in
// Result.ExitCode, with what kubectl printed. The error is for kubectl not running at all, or ctx ending.
func (c *Cluster) Kubectl(ctx context.Context, args ...string) (Result, error) {
	return c.KubectlWithInput(ctx, nil, args...)
}

// KubectlWithInput is Kubectl with stdin, for `kubectl apply -f -`.
func (c *Cluster) KubectlWithInput(ctx context.Context, stdin []byte, args ...string) (Result, error) {
	// Our own discovery cache, so that nothing from another cluster on an earlier port is reused.
	full := append([]string{
		"--kubeconfig=" + c.opts.KubeconfigPath,
		"--cache-dir=" + filepath.Join(c.dir, "kubectl-cache"),
	}, args...)
	cmd := exec.CommandContext(ctx, c.opts.Kubectl, full...)
	cmd.Env = append(withoutEnv(os.Environ(), "KUBECONFIG"), "KUBECONFIG="+c.opts.KubeconfigPath)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := Result{Stdout: stdout.String(), Stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case ctx.Err() != nil:
		return res, fmt.Errorf("kubectl %v: %w", args, ctx.Err())
	case errors.As(err, &exit):
		res.ExitCode = exit.ExitCode()
		return res, nil
	case err != nil:
		return res, fmt.Errorf("kubectl %v: %w", args, err)
	}
	return res, nil
}

// MustKubectl is KubectlWithInput for tests: a minute at most, and the test fails when kubectl could not
// run at all. A non-zero exit is still the caller's to judge.
func (c *Cluster) MustKubectl(t testing.TB, stdin []byte, args ...string) Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := c.KubectlWithInput(ctx, stdin, args...)
	if err != nil {
		t.Fatalf("kubectl %s: %v\nstderr: %s", strings.Join(args, " "), err, res.Stderr)
	}
	return res
}
