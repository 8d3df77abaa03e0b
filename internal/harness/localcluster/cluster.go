package localcluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// Options configure Start. Every field has a default that works from a checkout.
type Options struct {
	// Root is the repository checkout (manifests/, bin/). Default: the nearest directory at or above the
	// working directory that holds go.mod.
	Root string
	// ManifestsDir is the kustomization whose CRDs, RBAC and webhook configurations are installed.
	// Default: Root/manifests/base.
	ManifestsDir string
	// ExtraCRDPaths are more CRD files or directories to install, such as e2e/testdata/crd.
	ExtraCRDPaths []string
	// AssetsDir holds kube-apiserver and etcd. Default: $KUBEBUILDER_ASSETS, else Root/bin/k8s.
	AssetsDir string
	// Kubectl is the kubectl binary. Default: $KUBECTL (the Makefile exports the one built beside
	// kube-apiserver, the same release), else kubectl from PATH.
	Kubectl string
	// WebhookBinary is the objectstore-webhook binary. Default: $OBJECTSTORE_WEBHOOK_BIN (the Makefile
	// exports it), else Root/bin/objectstore-webhook.
	WebhookBinary string
	// WebhookArgs are appended to the `serve` flags the cluster sets (port, certificates, kubeconfig).
	WebhookArgs []string
	// WebhookOutput also receives the webhook's stdout and stderr; they always go to WebhookLogPath.
	WebhookOutput io.Writer
	// KubeconfigPath is where the admin kubeconfig is written. Default: Dir()/kubeconfig.
	KubeconfigPath string
	// Progress receives one line per start-up step; nil is silent.
	Progress io.Writer
}

// Cluster is a running local control plane with the webhook installed and serving.
type Cluster struct {
	opts      Options
	dir       string
	env       *envtest.Environment
	cfg       *rest.Config
	client    client.Client
	reaper    *reaper
	planePIDs []int

	webhookPort   int
	metricsPort   int
	caPEM         []byte
	webhookKubecf string

	mu      sync.Mutex
	webhook *proc

	closeOnce sync.Once
	closeErr  error
}

// startTimeout bounds each control-plane component's start; generous because two shared cores may be busy.
const startTimeout = 90 * time.Second

// Start brings up etcd, kube-apiserver and the webhook, and installs the manifests. On error everything
// already started is stopped again. Call Close when done; if the calling process dies first, a reaper
// process kills what was started.
func Start(ctx context.Context, opts Options) (_ *Cluster, err error) {
	if err := opts.defaults(); err != nil {
		return nil, err
	}
	c := &Cluster{opts: opts}
	c.progress("rendering %s", opts.ManifestsDir)
	rendered, err := RenderKustomize(ctx, opts.Kubectl, opts.ManifestsDir)
	if err != nil {
		return nil, err
	}
	m, err := ParseManifests(rendered)
	if err != nil {
		return nil, err
	}

	if c.dir, err = os.MkdirTemp("", "localcluster-"); err != nil {
		return nil, fmt.Errorf("creating the cluster's directory: %w", err)
	}
	defer func() {
		if err != nil {
			_ = c.Close()
		}
	}()
	if c.opts.KubeconfigPath == "" {
		c.opts.KubeconfigPath = filepath.Join(c.dir, "kubeconfig")
	}
	if c.reaper, err = startReaper(); err != nil {
		return nil, err
	}
	if err := c.reaper.removeDir(c.dir); err != nil {
		return nil, err
	}

	c.progress("starting etcd and kube-apiserver from %s", opts.AssetsDir)
	if err := c.startControlPlane(); err != nil {
		return nil, err
	}
	if err := os.WriteFile(c.opts.KubeconfigPath, c.env.KubeConfig, 0o600); err != nil {
		return nil, fmt.Errorf("writing the kubeconfig: %w", err)
	}
	// The tests' client probes with dry-runs; warnings are for kubectl's user, who sees them there.
	clientCfg := rest.CopyConfig(c.cfg)
	clientCfg.WarningHandler = rest.NoWarnings{}
	if c.client, err = client.New(clientCfg, client.Options{}); err != nil {
		return nil, fmt.Errorf("creating a client: %w", err)
	}

	c.progress("installing the CRDs")
	if _, err := envtest.InstallCRDs(c.cfg, envtest.CRDInstallOptions{
		CRDs: m.CRDs, Paths: opts.ExtraCRDPaths, ErrorIfPathMissing: true, MaxTime: startTimeout,
	}); err != nil {
		return nil, fmt.Errorf("installing CRDs: %w", err)
	}
	for _, obj := range m.Access {
		if err := c.client.Create(ctx, obj); err != nil {
			return nil, fmt.Errorf("creating %s %s: %w", obj.GetKind(), obj.GetName(), err)
		}
	}
	if err := c.writeWebhookKubeconfig(m); err != nil {
		return nil, err
	}

	c.progress("starting %s", opts.WebhookBinary)
	if err := c.prepareWebhook(); err != nil {
		return nil, err
	}
	if err := c.StartWebhook(ctx); err != nil {
		return nil, err
	}

	c.progress("installing the webhook configurations")
	if err := PointWebhooksAt(m.Webhooks, "127.0.0.1", c.webhookPort, c.caPEM); err != nil {
		return nil, err
	}
	for _, obj := range m.Webhooks {
		if err := c.client.Create(ctx, obj); err != nil {
			return nil, fmt.Errorf("creating %s %s: %w", obj.GetKind(), obj.GetName(), err)
		}
	}
	if err := c.waitWebhookConfigsActive(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

func (o *Options) defaults() error {
	if o.Root == "" {
		root, err := FindRoot()
		if err != nil {
			return err
		}
		o.Root = root
	}
	if o.ManifestsDir == "" {
		o.ManifestsDir = filepath.Join(o.Root, "manifests", "base")
	}
	if o.AssetsDir == "" {
		o.AssetsDir = os.Getenv("KUBEBUILDER_ASSETS")
	}
	if o.AssetsDir == "" {
		o.AssetsDir = filepath.Join(o.Root, "bin", "k8s")
	}
	if o.Kubectl == "" {
		o.Kubectl = os.Getenv("KUBECTL")
	}
	if o.Kubectl == "" {
		path, err := exec.LookPath("kubectl")
		if err != nil {
			return errors.New("kubectl is not on the PATH: install kubectl (any version since 1.30) or set Options.Kubectl")
		}
		o.Kubectl = path
	}
	if o.WebhookBinary == "" {
		o.WebhookBinary = os.Getenv("OBJECTSTORE_WEBHOOK_BIN")
	}
	if o.WebhookBinary == "" {
		o.WebhookBinary = filepath.Join(o.Root, "bin", "objectstore-webhook")
	}
	for _, bin := range []struct{ path, hint string }{
		{filepath.Join(o.AssetsDir, "kube-apiserver"), "run `make controlplane` (hack/tools/install.sh controlplane) or set KUBEBUILDER_ASSETS"},
		{filepath.Join(o.AssetsDir, "etcd"), "run `make controlplane` (hack/tools/install.sh controlplane) or set KUBEBUILDER_ASSETS"},
		{o.WebhookBinary, "build it with `go build -o bin/objectstore-webhook ./cmd/objectstore-webhook`"},
	} {
		if _, err := os.Stat(bin.path); err != nil {
			return fmt.Errorf("%s not found: %s", bin.path, bin.hint)
		}
	}
	return nil
}

// FindRoot returns the nearest directory at or above the working directory that holds go.mod.
func FindRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod at or above the working directory: run from the checkout or set Options.Root")
		}
		dir = parent
	}
}

func (c *Cluster) progress(format string, args ...any) {
	if c.opts.Progress != nil {
		fmt.Fprintf(c.opts.Progress, format+"\n", args...)
	}
}

func (c *Cluster) startControlPlane() error {
	etcdPort, err := freePort()
	if err != nil {
		return err
	}
	apiPort, err := freePort()
	if err != nil {
		return err
	}
	// Our own directories (rather than envtest's temporary ones) put c.dir on both command lines, which is
	// how their pids are found for the reaper.
	etcdDir, certDir := filepath.Join(c.dir, "etcd"), filepath.Join(c.dir, "apiserver")
	for _, d := range []string{etcdDir, certDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return err
		}
	}
	api := &envtest.APIServer{
		Path:    filepath.Join(c.opts.AssetsDir, "kube-apiserver"),
		CertDir: certDir,
		SecureServing: envtest.SecureServing{
			ListenAddr: envtest.ListenAddr{Address: "127.0.0.1", Port: strconv.Itoa(apiPort)},
		},
	}
	etcd := &envtest.Etcd{
		Path:    filepath.Join(c.opts.AssetsDir, "etcd"),
		DataDir: etcdDir,
		URL:     &url.URL{Scheme: "http", Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(etcdPort))},
	}
	if out := os.Getenv("LOCALCLUSTER_CONTROL_PLANE_OUTPUT"); out == "true" {
		api.Out, api.Err, etcd.Out, etcd.Err = os.Stderr, os.Stderr, os.Stderr, os.Stderr
	}
	c.env = &envtest.Environment{
		ControlPlane:             envtest.ControlPlane{APIServer: api, Etcd: etcd, KubectlPath: c.opts.Kubectl},
		ControlPlaneStartTimeout: startTimeout,
		ControlPlaneStopTimeout:  20 * time.Second,
	}
	cfg, startErr := c.env.Start()
	// Hand whatever is running to the reaper before anything else can fail.
	pids, err := pidsWithArg(c.dir)
	if err == nil {
		for _, pid := range pids {
			if werr := c.reaper.watch(pid); werr != nil {
				err = werr
			}
		}
		c.planePIDs = pids
	}
	if startErr != nil {
		return fmt.Errorf("starting the control plane from %s: %w", c.opts.AssetsDir, startErr)
	}
	if err != nil {
		return err
	}
	if len(pids) != 2 {
		return fmt.Errorf("expected etcd and kube-apiserver running with %s on their command line, found pids %v", c.dir, pids)
	}
	c.cfg = cfg
	return nil
}

// freePort asks the kernel for a free 127.0.0.1 port. Another process could take it before it is used;
// on two cores and loopback only, that has not been seen, and the start-up error would say which port.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port on 127.0.0.1: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Close stops the webhook, kube-apiserver and etcd, checks that none of them is left running, and removes
// the cluster's directory. It is safe to call more than once.
func (c *Cluster) Close() error {
	c.closeOnce.Do(func() {
		var errs []error
		if err := c.StopWebhook(); err != nil {
			errs = append(errs, err)
		}
		if c.env != nil {
			if err := c.env.Stop(); err != nil {
				errs = append(errs, fmt.Errorf("stopping the control plane: %w", err))
			}
		}
		for _, pid := range c.planePIDs {
			if Alive(pid) {
				_ = syscall.Kill(-pid, syscall.SIGKILL)
				_ = syscall.Kill(pid, syscall.SIGKILL)
				errs = append(errs, fmt.Errorf("process %d outlived the control plane's stop and was killed", pid))
			}
		}
		if c.reaper != nil {
			if err := c.reaper.release(); err != nil {
				errs = append(errs, err)
			}
		}
		if c.dir != "" {
			if err := os.RemoveAll(c.dir); err != nil {
				errs = append(errs, err)
			}
		}
		c.closeErr = errors.Join(errs...)
	})
	return c.closeErr
}

// RESTConfig is the admin (system:masters) client configuration.
func (c *Cluster) RESTConfig() *rest.Config { return rest.CopyConfig(c.cfg) }

// Client is an admin controller-runtime client with client-go's default scheme.
func (c *Cluster) Client() client.Client { return c.client }

// KubeconfigPath is the admin kubeconfig kubectl uses.
func (c *Cluster) KubeconfigPath() string { return c.opts.KubeconfigPath }

// Dir is the cluster's private directory (certificates, logs, etcd data), removed by Close.
func (c *Cluster) Dir() string { return c.dir }

// Root is the repository checkout the cluster was started from.
func (c *Cluster) Root() string { return c.opts.Root }

// WebhookPort is the 127.0.0.1 port the webhook serves HTTPS on; it stays the same across restarts.
func (c *Cluster) WebhookPort() int { return c.webhookPort }

// WebhookKubeconfigPath is the kubeconfig the webhook runs with: the manifests' ServiceAccount identity,
// judged by the RBAC they ship.
func (c *Cluster) WebhookKubeconfigPath() string { return c.webhookKubecf }

// MetricsAddr is the webhook's /healthz, /readyz and /metrics address.
func (c *Cluster) MetricsAddr() string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(c.metricsPort))
}

// CAPEM is the CA the webhook configurations trust.
func (c *Cluster) CAPEM() []byte { return append([]byte(nil), c.caPEM...) }

// PIDs lists every process the cluster started and has not stopped: etcd, kube-apiserver, the webhook
// and the reaper.
func (c *Cluster) PIDs() []int {
	pids := append([]int(nil), c.planePIDs...)
	c.mu.Lock()
	if c.webhook != nil {
		pids = append(pids, c.webhook.cmd.Process.Pid)
	}
	c.mu.Unlock()
	if c.reaper != nil {
		pids = append(pids, c.reaper.pid())
	}
	return pids
}
