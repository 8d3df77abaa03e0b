//go:build integration

package localcluster

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

const helperEnv = "LOCALCLUSTER_REAPER_HELPER_WEBHOOK"

// TestReaperHelper is not a test on its own: TestNothingLeftWhenTheOwnerIsKilled runs the test binary
// with it selected, to own a cluster and be killed.
func TestReaperHelper(t *testing.T) {
	webhook := os.Getenv(helperEnv)
	if webhook == "" {
		return
	}
	c, err := Start(context.Background(), Options{WebhookBinary: webhook})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	var pids []string
	for _, pid := range c.PIDs() {
		pids = append(pids, strconv.Itoa(pid))
	}
	fmt.Println("dir", c.Dir())
	fmt.Println("pids", strings.Join(pids, " "))
	select {}
}

// TestNothingLeftWhenTheOwnerIsKilled kills (SIGKILL, so no deferred Close runs) a process that owns a
// running cluster, and checks that etcd, kube-apiserver and the webhook go too. A panicking test binary
// ends the same way: without running its clean-up.
func TestNothingLeftWhenTheOwnerIsKilled(t *testing.T) {
	root, err := FindRoot()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	webhook, err := TestWebhookBinary(ctx, root, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	helper := exec.Command(os.Args[0], "-test.run=^TestReaperHelper$")
	helper.Env = append(os.Environ(), helperEnv+"="+webhook)
	helper.Stderr = os.Stderr
	stdout, err := helper.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := helper.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = helper.Process.Kill(); _ = helper.Wait() })

	sc := bufio.NewScanner(stdout)
	var pids []int
	var dir string
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, "dir "); ok {
			dir = rest
		}
		if rest, ok := strings.CutPrefix(line, "pids "); ok {
			for _, f := range strings.Fields(rest) {
				pid, err := strconv.Atoi(f)
				if err != nil {
					t.Fatal(err)
				}
				pids = append(pids, pid)
			}
			break
		}
		if strings.HasPrefix(line, "error ") {
			t.Fatal(line)
		}
	}
	// etcd, kube-apiserver, the webhook and the reaper.
	if len(pids) != 4 {
		t.Fatalf("pids %v, want 4", pids)
	}
	for _, pid := range pids {
		if !Alive(pid) {
			t.Fatalf("process %d is not running before the kill", pid)
		}
	}

	if err := helper.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = helper.Wait()
	// The reaper needs a moment to read end-of-file and send its signals; the deadline is generous.
	deadline := time.Now().Add(30 * time.Second)
	for _, pid := range pids {
		for Alive(pid) && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		if Alive(pid) {
			t.Errorf("process %d outlived its owner", pid)
			_ = syscall.Kill(-pid, syscall.SIGKILL)
		}
	}
	for _, err := os.Stat(dir); err == nil && time.Now().Before(deadline); _, err = os.Stat(dir) {
		time.Sleep(50 * time.Millisecond)
	}
	if _, err := os.Stat(dir); dir == "" || !os.IsNotExist(err) {
		t.Errorf("the cluster's directory %q is still there: %v", dir, err)
	}
}
