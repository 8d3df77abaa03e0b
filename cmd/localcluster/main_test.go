//go:build integration

package main

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/objectstore-webhook/objectstore-webhook/internal/harness/localcluster"
)

// TestRunAndInterrupt is `make run` as a newcomer meets it: the program prints the two lines to paste, the
// printed kubectl command is refused with the field to fix, and Ctrl-C (SIGINT) stops every process it
// started and removes the kubeconfig.
func TestRunAndInterrupt(t *testing.T) {
	root, err := localcluster.FindRoot()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	bin := t.TempDir()
	prog := filepath.Join(bin, "localcluster")
	if err := localcluster.BuildCommand(ctx, root, "./cmd/localcluster", prog); err != nil {
		t.Fatal(err)
	}
	webhook, err := localcluster.TestWebhookBinary(ctx, root, bin)
	if err != nil {
		t.Fatal(err)
	}
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")

	cmd := exec.Command(prog, "--webhook-binary", webhook, "--kubeconfig", kubeconfig, "--webhook-log=false")
	cmd.Dir = root
	var progLog syncBuffer
	cmd.Stderr = &progLog
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("the program's stderr:\n%s", progLog.String())
		}
	})
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	// If the test fails half-way, the program dies here and its reaper stops what it started.
	t.Cleanup(func() { _ = syscall.Kill(cmd.Process.Pid, syscall.SIGKILL) })

	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var printed []string
	for len(printed) < 2 {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("the program closed stdout after %q", printed)
			}
			printed = append(printed, l)
		case err := <-exited:
			t.Fatalf("the program exited before it was ready: %v", err)
		case <-ctx.Done():
			t.Fatal("the program did not print its two lines in time")
		}
	}
	t.Logf("ready after %s", time.Since(began).Round(100*time.Millisecond))
	if want := "export KUBECONFIG=" + kubeconfig; printed[0] != want {
		t.Errorf("first line %q, want %q", printed[0], want)
	}
	want := "kubectl apply -f e2e/testdata/broken/s3-half-credentials.yaml"
	if printed[1] != want {
		t.Fatalf("second line %q, want %q", printed[1], want)
	}

	// Paste the second line, as the first line would have it.
	paste := exec.CommandContext(ctx, "sh", "-c", printed[1])
	paste.Dir = root
	paste.Env = append(os.Environ(), "KUBECONFIG="+kubeconfig)
	out, err := paste.CombinedOutput()
	if err == nil {
		t.Errorf("the broken example was admitted:\n%s", out)
	}
	if !strings.Contains(string(out), "spec.configuration.s3Credentials.secretAccessKey: Required value") {
		t.Errorf("the refusal does not name the missing field:\n%s", out)
	}

	children, err := localcluster.ChildPIDs(cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	// etcd, kube-apiserver, the webhook and the reaper.
	if len(children) < 4 {
		t.Fatalf("child processes %v, want at least etcd, kube-apiserver, the webhook and the reaper", children)
	}

	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("the program exited with %v after SIGINT, want 0", err)
		}
	case <-ctx.Done():
		t.Fatal("the program did not exit after SIGINT")
	}
	for _, pid := range children {
		if localcluster.Alive(pid) {
			t.Errorf("process %d is still running after the program exited", pid)
		}
	}
	if _, err := os.Stat(kubeconfig); !os.IsNotExist(err) {
		t.Errorf("the kubeconfig is still there: %v", err)
	}
}

// syncBuffer collects the program's stderr, written by exec's copying goroutine.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
