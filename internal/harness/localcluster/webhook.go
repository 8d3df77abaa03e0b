package localcluster

import (
	"context"
	"errors"
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
	"time"

	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/objectstore-webhook/objectstore-webhook/certs"
)

// webhookReadyTimeout bounds the wait for /readyz; the webhook loads certificates and syncs informers first.
const webhookReadyTimeout = 60 * time.Second

// proc is a child process in its own process group.
type proc struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

func startProc(bin string, args, env []string, out io.Writer) (*proc, error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = out, out
	// Its own group, so that stopping it reaches anything it starts; Pdeathsig as a first line of defence
	// when this process dies, the reaper as the second.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	p := &proc{cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM to the group, and SIGKILL if it has not exited within grace.
func (p *proc) stop(grace time.Duration) error {
	pid := p.cmd.Process.Pid
	if p.exited() {
		return nil
	}
	_ = syscall.Kill(-pid, syscall.SIGTERM)
	select {
	case <-p.done:
		return nil
	case <-time.After(grace):
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		<-p.done
		return fmt.Errorf("process %d did not stop within %s of SIGTERM and was killed", pid, grace)
	}
}

// prepareWebhook chooses the webhook's ports and writes its certificates, once: a restarted webhook keeps
// both, as a restarted pod behind a Service would.
func (c *Cluster) prepareWebhook() error {
	var err error
	if c.webhookPort, err = freePort(); err != nil {
		return err
	}
	if c.metricsPort, err = freePort(); err != nil {
		return err
	}
	now := time.Now()
	ca, err := certs.NewCA("objectstore-webhook local CA", 30*24*time.Hour, now)
	if err != nil {
		return err
	}
	serving, err := certs.IssueServing(ca, []string{"localhost"}, []net.IP{net.ParseIP("127.0.0.1")}, 30*24*time.Hour, now)
	if err != nil {
		return err
	}
	dir := c.certDir()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "tls.crt"), serving.CertPEM, 0o600); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "tls.key"), serving.KeyPEM, 0o600); err != nil {
		return err
	}
	c.caPEM = ca.CertPEM
	return nil
}

func (c *Cluster) certDir() string { return filepath.Join(c.dir, "webhook-certs") }

// WebhookLogPath is the file that collects the webhook's output across restarts.
func (c *Cluster) WebhookLogPath() string { return filepath.Join(c.dir, "webhook.log") }

// WebhookArgs are the arguments the webhook binary is started with.
func (c *Cluster) WebhookArgs() []string {
	args := []string{
		"serve",
		"--bind-address=127.0.0.1",
		"--port=" + strconv.Itoa(c.webhookPort),
		"--cert-mode=files",
		"--cert-dir=" + c.certDir(),
		"--metrics-addr=" + c.MetricsAddr(),
		"--kubeconfig=" + c.webhookKubecf,
	}
	return append(args, c.opts.WebhookArgs...)
}

// StartWebhook starts the webhook binary (again, after StopWebhook) on the same port with the same
// certificates, and waits until it reports ready.
func (c *Cluster) StartWebhook(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.webhook != nil && !c.webhook.exited() {
		return errors.New("the webhook is already running")
	}
	logFile, err := os.OpenFile(c.WebhookLogPath(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	var out io.Writer = logFile
	if c.opts.WebhookOutput != nil {
		out = io.MultiWriter(logFile, c.opts.WebhookOutput)
	}
	env := append(withoutEnv(os.Environ(), "KUBECONFIG", "POD_NAMESPACE"), "POD_NAMESPACE="+webhookNamespace)
	p, err := startProc(c.opts.WebhookBinary, c.WebhookArgs(), env, out)
	if err != nil {
		logFile.Close()
		return err
	}
	go func() { <-p.done; logFile.Close() }()
	c.webhook = p
	if err := c.reaper.watch(p.cmd.Process.Pid); err != nil {
		return err
	}
	return c.waitWebhookReady(ctx, p)
}

// StopWebhook stops the webhook process, if running. The webhook configurations stay, so the API server
// answers ObjectStore writes by their failurePolicy until StartWebhook.
func (c *Cluster) StopWebhook() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.webhook == nil {
		return nil
	}
	err := c.webhook.stop(15 * time.Second)
	c.webhook = nil
	if err != nil {
		return fmt.Errorf("stopping the webhook: %w", err)
	}
	return nil
}

// SignalWebhook sends sig to the webhook process, e.g. SIGSTOP and SIGCONT to make it hang without
// closing its port.
func (c *Cluster) SignalWebhook(sig syscall.Signal) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.webhook == nil || c.webhook.exited() {
		return errors.New("the webhook is not running")
	}
	return syscall.Kill(c.webhook.cmd.Process.Pid, sig)
}

func (c *Cluster) waitWebhookReady(ctx context.Context, p *proc) error {
	ctx, cancel := context.WithTimeout(ctx, webhookReadyTimeout)
	defer cancel()
	url := "http://" + c.MetricsAddr() + "/readyz"
	httpc := &http.Client{Timeout: 2 * time.Second}
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		if resp, err := httpc.Do(req); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-p.done:
			return fmt.Errorf("the webhook exited before it was ready (%v); its output:\n%s", p.err, c.webhookLogTail())
		case <-ctx.Done():
			return fmt.Errorf("the webhook was not ready at %s within %s; its output:\n%s", url, webhookReadyTimeout, c.webhookLogTail())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (c *Cluster) webhookLogTail() string {
	b, err := os.ReadFile(c.WebhookLogPath())
	if err != nil {
		return err.Error()
	}
	const max = 4096
	if len(b) > max {
		b = b[len(b)-max:]
	}
	return string(b)
}

// webhookNamespace is where the manifests put the webhook; its identity is that namespace's ServiceAccount.
const webhookNamespace = "objectstore-webhook-system"

// writeWebhookKubeconfig gives the webhook the identity of the ServiceAccount in the manifests, so its API
// calls pass or fail by the RBAC users install.
func (c *Cluster) writeWebhookKubeconfig(m *Manifests) error {
	user := envtest.User{Name: "admin", Groups: []string{"system:masters"}}
	for _, obj := range m.Access {
		if obj.GetKind() == "ServiceAccount" {
			ns := obj.GetNamespace()
			user = envtest.User{
				Name:   "system:serviceaccount:" + ns + ":" + obj.GetName(),
				Groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"},
			}
			break
		}
	}
	au, err := c.env.AddUser(user, nil)
	if err != nil {
		return fmt.Errorf("provisioning the webhook's user %s: %w", user.Name, err)
	}
	kubeconfig, err := au.KubeConfig()
	if err != nil {
		return err
	}
	c.webhookKubecf = filepath.Join(c.dir, "webhook.kubeconfig")
	return os.WriteFile(c.webhookKubecf, kubeconfig, 0o600)
}

func withoutEnv(env []string, names ...string) []string {
	out := env[:0:0]
	for _, kv := range env {
		keep := true
		for _, n := range names {
			if strings.HasPrefix(kv, n+"=") {
				keep = false
			}
		}
		if keep {
			out = append(out, kv)
		}
	}
	return out
}
