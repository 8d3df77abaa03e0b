//go:build integration

package selfmanaged

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"

	"github.com/objectstore-webhook/objectstore-webhook/internal/harness/localcluster"
)

// The package runs its own control plane with manifests/default installed: the webhook configurations as
// shipped (pointed at 127.0.0.1), and the self-managed RBAC the webhook's ServiceAccount identity is
// judged by. The harness starts a files-mode webhook to get there; the tests stop it and run self-managed
// instances of the real binary in its place, on the same port.
var (
	cluster    *localcluster.Cluster
	admin      kubernetes.Interface
	root       string
	webhookBin string
	saKubecfg  string
)

const (
	webhookNS  = "objectstore-webhook-system"
	secretName = "objectstore-webhook-certs"
	configName = "objectstore-webhook"
)

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var err error
	if root, err = localcluster.FindRoot(); err != nil {
		fmt.Fprintln(os.Stderr, "selfmanaged:", err)
		return 1
	}
	bindir, err := os.MkdirTemp("", "selfmanaged-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "selfmanaged:", err)
		return 1
	}
	defer os.RemoveAll(bindir)
	webhookBin = filepath.Join(bindir, "objectstore-webhook")
	if err := localcluster.BuildWebhook(ctx, root, webhookBin); err != nil {
		fmt.Fprintln(os.Stderr, "selfmanaged:", err)
		return 1
	}
	cluster, err = localcluster.Start(ctx, localcluster.Options{
		Root:          root,
		ManifestsDir:  filepath.Join(root, "manifests", "default"),
		WebhookBinary: webhookBin,
		ExtraCRDPaths: []string{filepath.Join(root, "e2e", "testdata", "crd")},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "selfmanaged: starting the local cluster:", err)
		return 1
	}
	code := func() int {
		if err := cluster.StopWebhook(); err != nil {
			fmt.Fprintln(os.Stderr, "selfmanaged:", err)
			return 1
		}
		for _, a := range cluster.WebhookArgs() {
			if v, ok := strings.CutPrefix(a, "--kubeconfig="); ok {
				saKubecfg = v
			}
		}
		if saKubecfg == "" {
			fmt.Fprintln(os.Stderr, "selfmanaged: the harness gave the webhook no --kubeconfig")
			return 1
		}
		if admin, err = kubernetes.NewForConfig(cluster.RESTConfig()); err != nil {
			fmt.Fprintln(os.Stderr, "selfmanaged:", err)
			return 1
		}
		return m.Run()
	}()
	if err := cluster.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "selfmanaged: stopping the local cluster:", err)
		code = 1
	}
	return code
}

// instance is one self-managed webhook process.
type instance struct {
	port, metricsPort int
	log               string
	cmd               *exec.Cmd
	done              chan struct{}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startInstance runs `objectstore-webhook serve --cert-mode=self-managed` as the webhook's ServiceAccount,
// on port (0: a free one), and stops it when the test ends, on failure too.
func startInstance(t *testing.T, port int, extra ...string) *instance {
	t.Helper()
	if port == 0 {
		port = freePort(t)
	}
	in := &instance{port: port, metricsPort: freePort(t), done: make(chan struct{})}
	in.log = filepath.Join(t.TempDir(), "webhook.log")
	out, err := os.Create(in.log)
	if err != nil {
		t.Fatal(err)
	}
	args := append([]string{
		"serve",
		"--bind-address=127.0.0.1",
		"--port=" + strconv.Itoa(in.port),
		"--metrics-addr=127.0.0.1:" + strconv.Itoa(in.metricsPort),
		"--kubeconfig=" + saKubecfg,
		"--cert-mode=self-managed",
		"--cert-ips=127.0.0.1",
		"--cert-dns-names=localhost",
	}, extra...)
	in.cmd = exec.Command(webhookBin, args...)
	in.cmd.Env = append(os.Environ(), "POD_NAMESPACE="+webhookNS)
	in.cmd.Stdout, in.cmd.Stderr = out, out
	in.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := in.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = in.cmd.Wait(); out.Close(); close(in.done) }()
	t.Cleanup(func() {
		_ = syscall.Kill(-in.cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-in.done:
		case <-time.After(15 * time.Second):
			_ = syscall.Kill(-in.cmd.Process.Pid, syscall.SIGKILL)
			<-in.done
			t.Errorf("webhook on port %d did not stop on SIGTERM and was killed", in.port)
		}
		if t.Failed() {
			b, _ := os.ReadFile(in.log)
			if len(b) > 6000 {
				b = b[len(b)-6000:]
			}
			t.Logf("webhook on port %d, output:\n%s", in.port, b)
		}
	})
	return in
}

// waitReady polls /readyz; the bound only stops a broken run from hanging.
func (in *instance) waitReady(t *testing.T) {
	t.Helper()
	url := "http://127.0.0.1:" + strconv.Itoa(in.metricsPort) + "/readyz"
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(url)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-in.done:
			t.Fatalf("webhook on port %d exited before it was ready", in.port)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("webhook on port %d not ready at %s", in.port, url)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func kubectl(t *testing.T, stdin []byte, args ...string) localcluster.Result {
	t.Helper()
	return cluster.MustKubectl(t, stdin, args...)
}
