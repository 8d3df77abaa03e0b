package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os/signal"
	"syscall"
	"time"

	"github.com/go-logr/logr"

	"github.com/objectstore-webhook/objectstore-webhook/certs"
	"github.com/objectstore-webhook/objectstore-webhook/internal/crdcheck"
	"github.com/objectstore-webhook/objectstore-webhook/webhooks/admission"
	"github.com/objectstore-webhook/objectstore-webhook/webhooks/objectstore"
	"github.com/objectstore-webhook/objectstore-webhook/webhooks/pod"
)

const serveUsage = `Usage: objectstore-webhook serve [flags]

Serves the admission webhooks over HTTPS on --bind-address:--port, and /metrics, /healthz and /readyz over
plain HTTP on --metrics-addr. Paths: /validate/objectstores, /mutate/clusters, /validate/clusters,
/mutate/pods. SIGTERM or SIGINT stops accepting, turns /readyz false and waits up to --shutdown-grace for
reviews in flight.

Flags:
`

// serveConfig is what the flags say.
type serveConfig struct {
	port            int
	bindAddress     string
	metricsAddr     string
	certMode        string
	certDir         string
	tlsMinVersion   uint16
	http2           bool
	maxRequestBytes int64
	secretChecks    objectstore.SecretChecks
	webhooks        webhookSet
	logLevel        string
	logFormat       string
	shutdownGrace   time.Duration
	kubeconfig      string
	selfManaged     certs.SelfManagedConfig
	pod             pod.Config
	crdCheck        crdcheck.Mode
	crdInterval     time.Duration
	// settings: the controller that renders each Cluster's wal-archiver settings ConfigMap.
	settingsController bool
	settingsResync     time.Duration
}

// serveHooks let tests add routes and learn the bound addresses; runServe passes none.
type serveHooks struct {
	routes    []admission.Route
	listening func(webhook, metrics net.Addr)
}

// runServe returns 0 after a clean drain, 1 when the server failed or had to cut reviews short, and 2 for
// unusable flags.
func runServe(args []string, stderr io.Writer) int {
	return serveMain(args, stderr, serveHooks{})
}

func serveMain(args []string, stderr io.Writer, hooks serveHooks) int {
	cfg, err := parseServeFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(stderr, "serve: %v\n", err)
		return 2
	}
	log, err := newLogger(cfg.logLevel, cfg.logFormat, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "serve: %v\n", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if err := serve(ctx, cfg, log, hooks); err != nil {
		log.Error(err, "serve failed")
		return 1
	}
	return 0
}

func parseServeFlags(args []string, stderr io.Writer) (*serveConfig, error) {
	cfg := &serveConfig{selfManaged: certs.DefaultSelfManagedConfig()}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, serveUsage)
		fs.PrintDefaults()
	}
	// 10250, as cert-manager's webhook: GKE private clusters let the control plane reach pods only on 443
	// and 10250 without a firewall rule, and the pod network namespace keeps it clear of the kubelet's.
	fs.IntVar(&cfg.port, "port", 10250, "HTTPS port of the webhooks")
	fs.StringVar(&cfg.bindAddress, "bind-address", "", "address the webhooks listen on (default: all)")
	fs.StringVar(&cfg.metricsAddr, "metrics-addr", ":8080", "plain-HTTP address of /metrics, /healthz and /readyz")
	fs.StringVar(&cfg.certMode, "cert-mode", "files", "where the serving certificate comes from: "+certModeNames())
	fs.StringVar(&cfg.certDir, "cert-dir", "/tls", "files and cert-manager modes: directory holding tls.crt and tls.key")
	tlsMin := fs.String("tls-min-version", "1.2", "lowest TLS version accepted: 1.2 or 1.3")
	fs.BoolVar(&cfg.http2, "http2", false, "offer HTTP/2 (off by default: HTTP/2 rapid reset, CVE-2023-44487 and CVE-2023-39325)")
	fs.Int64Var(&cfg.maxRequestBytes, "max-request-bytes", admission.DefaultMaxRequestBytes, "largest admission review body accepted")
	webhooks := fs.String("webhooks", "objectstores,clusters,pods", "which webhooks to serve: a comma-separated subset of objectstores, clusters, pods (clusters and pods need the API server)")
	secretChecks := fs.String("secret-checks", "warn", "what a problem found in a referenced Secret does: deny, warn or off (off needs no API server)")
	fs.StringVar(&cfg.logLevel, "log-level", "info", "debug, info, warn or error (debug logs every review)")
	fs.StringVar(&cfg.logFormat, "log-format", "json", "json or console")
	fs.DurationVar(&cfg.shutdownGrace, "shutdown-grace", 30*time.Second, "how long reviews in flight may finish after SIGTERM")
	fs.StringVar(&cfg.kubeconfig, "kubeconfig", "", "kubeconfig file (default: the in-cluster service account)")
	crdCheck := fs.String("crd-check", "fail", "when the installed ObjectStore CRD lacks fields this webhook validates: fail (not ready until it has them), warn (log and serve) or off (never read it)")
	fs.DurationVar(&cfg.crdInterval, "crd-check-interval", 30*time.Second, "how often a failed CRD check is repeated")
	fs.BoolVar(&cfg.settingsController, "settings-controller", true, "with the pods webhook: render each bound Cluster's wal-archiver settings ConfigMap from its ObjectStore, so store edits reach running archivers (needs configmaps get/list/watch/create/patch)")
	fs.DurationVar(&cfg.settingsResync, "settings-resync", 10*time.Minute, "how often the settings controller re-renders every Cluster, so a lost event or a deleted ConfigMap is repaired")
	cfg.selfManaged.RegisterFlags(fs)
	cfg.pod.AddFlags(fs, false)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	var errs []error
	var err error
	if cfg.tlsMinVersion, err = parseTLSVersion(*tlsMin); err != nil {
		errs = append(errs, err)
	}
	if cfg.webhooks, err = parseWebhookSet(*webhooks); err != nil {
		errs = append(errs, fmt.Errorf("--webhooks: %w", err))
	}
	if cfg.secretChecks, err = objectstore.ParseSecretChecks(*secretChecks); err != nil {
		errs = append(errs, fmt.Errorf("--secret-checks: %w", err))
	}
	if cfg.crdCheck, err = crdcheck.ParseMode(*crdCheck); err != nil {
		errs = append(errs, fmt.Errorf("--crd-check: %w", err))
	}
	if cfg.settingsResync <= 0 {
		errs = append(errs, fmt.Errorf("--settings-resync must be positive, got %s", cfg.settingsResync))
	}
	if cfg.crdInterval <= 0 {
		errs = append(errs, fmt.Errorf("--crd-check-interval must be positive, got %s", cfg.crdInterval))
	}
	if _, ok := certModes[cfg.certMode]; !ok {
		errs = append(errs, fmt.Errorf("--cert-mode %q: want %s", cfg.certMode, certModeNames()))
	}
	if cfg.port < 0 || cfg.port > 65535 {
		errs = append(errs, fmt.Errorf("--port %d is not a TCP port", cfg.port))
	}
	if cfg.maxRequestBytes <= 0 {
		errs = append(errs, fmt.Errorf("--max-request-bytes must be positive, got %d", cfg.maxRequestBytes))
	}
	if cfg.shutdownGrace < 0 {
		errs = append(errs, fmt.Errorf("--shutdown-grace must not be negative, got %s", cfg.shutdownGrace))
	}
	return cfg, errors.Join(errs...)
}

func parseTLSVersion(s string) (uint16, error) {
	switch s {
	case "1.2":
		return tls.VersionTLS12, nil
	case "1.3":
		return tls.VersionTLS13, nil
	case "1.0", "1.1":
		return 0, fmt.Errorf("--tls-min-version %s refused: TLS below 1.2 is deprecated (RFC 8996); use 1.2 or 1.3", s)
	}
	return 0, fmt.Errorf("--tls-min-version %q: want 1.2 or 1.3", s)
}

// serve runs until ctx ends, then drains. The order matters: certificates and clients first, so that a
// misconfiguration fails before anything listens; then the probes, so that /readyz answers (false) while
// the first certificate is awaited; then the webhooks.
func serve(ctx context.Context, cfg *serveConfig, log logr.Logger, hooks serveHooks) error {
	kube, err := connectKube(ctx, cfg, log)
	if err != nil {
		return err
	}
	// Background work (certificate watches and rotation) ends when the server has drained, not at the
	// signal: a certificate must keep being served to the reviews in flight.
	bg, stopBackground := context.WithCancel(context.WithoutCancel(ctx))
	defer stopBackground()
	provider, err := startCertificates(bg, cfg, kube, log.WithName("certs"))
	if err != nil {
		return err
	}
	reg, metrics, err := newRegistry(provider)
	if err != nil {
		return err
	}
	crdGate, err := startCRDCheck(bg, cfg, kube, log.WithName("crd-check"))
	if err != nil {
		return err
	}
	routes, err := webhookRoutes(bg, cfg, kube, reg, log)
	if err != nil {
		return err
	}
	// lifetime ends when the drain begins; abort when its grace is over (see admission.Options).
	lifetime, stopServing := context.WithCancel(context.WithoutCancel(ctx))
	defer stopServing()
	abort, abortReviews := context.WithCancel(context.WithoutCancel(ctx))
	defer abortReviews()
	mux, err := admission.NewMux(admission.Options{
		MaxRequestBytes: cfg.maxRequestBytes,
		Metrics:         metrics,
		Logger:          log.WithName("admission"),
		Lifetime:        lifetime,
		Abort:           abort,
	}, append(routes, hooks.routes...)...)
	if err != nil {
		return err
	}

	routeStdLog(log)
	port, err := webhookPort(cfg)
	if err != nil {
		return err
	}
	metricsLn, err := net.Listen("tcp", cfg.metricsAddr)
	if err != nil {
		return fmt.Errorf("metrics listener (--metrics-addr): %w", err)
	}
	state := &serveState{provider: provider, crd: crdGate}
	webhookSrv := newWebhookServer(cfg, port, mux, provider)
	metricsSrv := newMetricsServer(reg, state)

	metricsErr := make(chan error, 1)
	webhookDone := make(chan error, 1)
	go func() { metricsErr <- ignoreClosed(metricsSrv.Serve(metricsLn)) }()
	go func() { webhookDone <- webhookSrv.Start(lifetime) }()
	webhookAddr, err := waitListening(cfg.bindAddress, port, webhookDone)
	if err != nil {
		_ = metricsSrv.Close()
		return err
	}
	state.serving.Store(true)
	log.Info("serving", "webhook", webhookAddr.String(), "metrics", metricsLn.Addr().String(),
		"certMode", cfg.certMode, "tlsMinVersion", tls.VersionName(cfg.tlsMinVersion), "http2", cfg.http2,
		"secretChecks", cfg.secretChecks.String())
	if hooks.listening != nil {
		hooks.listening(webhookAddr, metricsLn.Addr())
	}

	var runErr error
	select {
	case <-ctx.Done():
		log.Info("signal received: draining", "grace", cfg.shutdownGrace)
	case runErr = <-metricsErr:
		log.Error(runErr, "the metrics server stopped; shutting down")
	case runErr = <-webhookDone:
		if runErr == nil {
			runErr = errors.New("the webhook server stopped")
		}
		log.Error(runErr, "the webhook server stopped; shutting down")
		webhookDone = nil // nothing left to wait for
	}
	return errors.Join(runErr, drain(cfg.shutdownGrace, state, stopServing, abortReviews, webhookDone, metricsSrv, log))
}
