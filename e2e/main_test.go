//go:build integration

package e2e

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/objectstore-webhook/objectstore-webhook/internal/harness/localcluster"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden from what kubectl prints")

// cluster is the one control plane of the package: starting one takes several seconds, so every test
// shares it and works in namespaces of its own.
var cluster *localcluster.Cluster

// root is the checkout, for examples/ and the rules engineer's testdata.
var root string

func TestMain(m *testing.M) {
	flag.Parse()
	// envtest logs through controller-runtime; its start-up errors reach us as returned errors.
	ctrllog.SetLogger(logr.Discard())
	os.Exit(run(m))
}

func run(m *testing.M) int {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var err error
	if root, err = localcluster.FindRoot(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	bindir, err := os.MkdirTemp("", "e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(bindir)
	webhook, err := localcluster.TestWebhookBinary(ctx, root, bindir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	start := time.Now()
	cluster, err = localcluster.Start(ctx, localcluster.Options{
		Root:          root,
		WebhookBinary: webhook,
		ExtraCRDPaths: []string{filepath.Join(root, "e2e", "testdata", "crd")},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: starting the local cluster:", err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "e2e: local cluster ready in %s (webhook log %s)\n", time.Since(start).Round(time.Millisecond), cluster.WebhookLogPath())
	pids := cluster.PIDs()
	code := m.Run()
	if code != 0 {
		if log, err := os.ReadFile(cluster.WebhookLogPath()); err == nil {
			fmt.Fprintf(os.Stderr, "e2e: webhook output:\n%s\n", tail(string(log), 8192))
		}
	}
	if err := cluster.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: stopping the local cluster:", err)
		code = 1
	}
	for _, pid := range pids {
		if localcluster.Alive(pid) {
			fmt.Fprintf(os.Stderr, "e2e: process %d is still running after Close\n", pid)
			code = 1
		}
	}
	return code
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}

var nsCounter atomic.Int64

// namespace creates a namespace for one test. Namespaces are not deleted: without a controller manager
// deletion never finishes, and the control plane goes away with the package anyway.
func namespace(t *testing.T) string {
	t.Helper()
	name := fmt.Sprintf("e2e-%d-%s", nsCounter.Add(1), dnsLabel(t.Name()))
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if err := cluster.Client().Create(context.Background(), ns); err != nil {
		t.Fatalf("creating namespace %s: %v", name, err)
	}
	return name
}

func dnsLabel(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	out := strings.Trim(b.String(), "-")
	if len(out) > 40 {
		out = strings.Trim(out[:40], "-")
	}
	return out
}

// kubectl runs kubectl and fails the test if it could not run at all.
func kubectl(t *testing.T, args ...string) localcluster.Result {
	t.Helper()
	return kubectlIn(t, nil, args...)
}

func kubectlIn(t *testing.T, stdin []byte, args ...string) localcluster.Result {
	t.Helper()
	return cluster.MustKubectl(t, stdin, args...)
}

// golden compares got with testdata/golden/name, or rewrites it under -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file %s (create it with -update): %v", path, err)
	}
	if got != string(want) {
		t.Errorf("kubectl printed (golden %s, refresh with -update if intended):\n%s\nwant:\n%s", path, got, want)
	}
}
