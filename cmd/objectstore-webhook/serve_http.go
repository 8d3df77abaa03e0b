package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	stdlog "log"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-logr/zapr"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"sigs.k8s.io/controller-runtime/pkg/webhook"

	"github.com/objectstore-webhook/objectstore-webhook/certs"
	"github.com/objectstore-webhook/objectstore-webhook/internal/crdcheck"
	"github.com/objectstore-webhook/objectstore-webhook/webhooks/admission"
)

// tls12Suites are the TLS 1.2 suites offered: forward-secret AEAD only (TLS 1.3 suites are not
// configurable and all fine). The API server's Go client prefers the same.
var tls12Suites = []uint16{
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
}

// serveState is what /readyz reads.
type serveState struct {
	provider certs.Provider
	crd      *crdcheck.Gate // nil when no CRD is checked
	serving  atomic.Bool
	draining atomic.Bool
}

// notReady says why the webhook should not get traffic, or "" when it should.
func (s *serveState) notReady() string {
	switch {
	case s.draining.Load():
		return "shutting down"
	case !s.serving.Load():
		return "not listening yet"
	case !s.provider.Ready():
		return "no serving certificate yet"
	case s.crd != nil && s.crd.NotReady() != "":
		return s.crd.NotReady()
	}
	return ""
}

// newWebhookServer is controller-runtime's webhook server carrying the mux: its TLS comes from our
// certificate provider through TLSOpts, and what the library does not do (a review-shaped answer on any
// path, precedence of routes, panic recovery, the body limit, v1beta1, per-review deadlines and a drain
// that lets reviews in flight finish) the mux does.
func newWebhookServer(cfg *serveConfig, port int, mux *admission.Mux, provider certs.Provider) webhook.Server {
	routes := http.NewServeMux()
	// Anything else gets the transport's own 404, a review with a message, rather than net/http's text.
	routes.Handle("/", mux)
	srv := webhook.NewServer(webhook.Options{
		Host:       cfg.bindAddress,
		Port:       port,
		WebhookMux: routes,
		TLSOpts: []func(*tls.Config){func(c *tls.Config) {
			c.MinVersion = cfg.tlsMinVersion
			c.CipherSuites = tls12Suites
			c.GetCertificate = provider.GetCertificate
			// HTTP/2 is opt-in: its stream multiplexing is what the rapid-reset attacks abuse, and the API
			// server gains nothing from it on short review calls. This is how controller-runtime's own
			// scaffolds turn it off.
			c.NextProtos = []string{"http/1.1"}
			if cfg.http2 {
				c.NextProtos = []string{"h2", "http/1.1"}
			}
		}},
	})
	for _, p := range mux.Paths() {
		srv.Register(p, mux)
	}
	return srv
}

// webhookPort binds --port (for 0, tests, a free port) and lets it go again, for controller-runtime's
// server to bind: it takes a number, not a listener, and would read 0 as its own default. Binding first
// makes a port in use a clear error here rather than a failed start after the readiness check has seen
// another process answer on it.
func webhookPort(cfg *serveConfig) (int, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort(cfg.bindAddress, strconv.Itoa(cfg.port)))
	if err != nil {
		return 0, fmt.Errorf("webhook listener (--bind-address, --port): %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// waitListening returns once the webhook port accepts connections, or the server's error if it stopped
// first (a port in use, say).
func waitListening(host string, port int, stopped <-chan error) (net.Addr, error) {
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	addr := net.JoinHostPort(host, strconv.Itoa(port))
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			defer c.Close()
			return c.RemoteAddr(), nil
		}
		select {
		case err := <-stopped:
			if err == nil {
				err = errors.New("stopped")
			}
			return nil, fmt.Errorf("webhook server on port %d: %w", port, err)
		case <-tick.C:
		}
	}
}

func newMetricsServer(reg *prometheus.Registry, state *serveState) *http.Server {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		if why := state.notReady(); why != "" {
			http.Error(w, "not ready: "+why, http.StatusServiceUnavailable)
			return
		}
		_, _ = io.WriteString(w, "ok\n")
	})
	return &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
}

// newRegistry holds every series this process exports: its own registry, not the global default, so that
// nothing a library registers on import leaks into /metrics.
func newRegistry(provider certs.Provider) (*prometheus.Registry, *admission.Metrics, error) {
	reg := prometheus.NewRegistry()
	err := errors.Join(
		reg.Register(collectors.NewGoCollector()),
		reg.Register(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})),
		reg.Register(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "objectstore_webhook_certificate_expiry_timestamp_seconds",
			Help: "When the serving certificate in use expires (Unix time); 0 while there is none.",
		}, func() float64 {
			c, err := provider.GetCertificate(&tls.ClientHelloInfo{})
			if err != nil || c == nil || c.Leaf == nil {
				return 0
			}
			return float64(c.Leaf.NotAfter.Unix())
		})),
		reg.Register(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "objectstore_webhook_certificate_ready",
			Help: "1 when the certificate provider reports a valid certificate in service.",
		}, func() float64 {
			if provider.Ready() {
				return 1
			}
			return 0
		})),
	)
	if err != nil {
		return nil, nil, err
	}
	metrics, err := admission.NewMetrics(reg)
	if err != nil {
		return nil, nil, err
	}
	return reg, metrics, nil
}

// drain stops accepting reviews, turns /readyz false, and waits up to grace for those in flight, then
// aborts them. The metrics server goes last, so that /readyz says "shutting down" for the whole drain.
func drain(grace time.Duration, state *serveState, stopServing, abortReviews context.CancelFunc, webhookDone <-chan error, metrics *http.Server, log logr.Logger) error {
	state.draining.Store(true)
	stopServing()
	var err error
	if webhookDone != nil {
		timer := time.NewTimer(grace)
		defer timer.Stop()
		select {
		case err = <-webhookDone:
		case <-timer.C:
			abortReviews()
			err = fmt.Errorf("reviews still in flight after --shutdown-grace %s were cut short", grace)
			select {
			case <-webhookDone:
			case <-time.After(5 * time.Second):
			}
		}
	}
	mctx, mcancel := context.WithTimeout(context.Background(), time.Second)
	defer mcancel()
	if shutdownErr := metrics.Shutdown(mctx); shutdownErr != nil {
		_ = metrics.Close()
	}
	if err == nil {
		log.Info("drained; exiting")
	}
	return err
}

func ignoreClosed(err error) error {
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// newLogger builds the process logger: zap behind logr, JSON by default so that log pipelines parse it.
func newLogger(level, format string, w io.Writer) (logr.Logger, error) {
	var lvl zapcore.Level
	switch level {
	case "debug":
		lvl = zapcore.DebugLevel
	case "info":
		lvl = zapcore.InfoLevel
	case "warn":
		lvl = zapcore.WarnLevel
	case "error":
		lvl = zapcore.ErrorLevel
	default:
		return logr.Discard(), fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
	}
	var enc zapcore.Encoder
	switch format {
	case "json":
		ec := zap.NewProductionEncoderConfig()
		ec.TimeKey, ec.EncodeTime = "ts", zapcore.RFC3339NanoTimeEncoder
		enc = zapcore.NewJSONEncoder(ec)
	case "console":
		ec := zap.NewDevelopmentEncoderConfig()
		ec.EncodeTime = zapcore.RFC3339TimeEncoder
		enc = zapcore.NewConsoleEncoder(ec)
	default:
		return logr.Discard(), fmt.Errorf("--log-format %q: want json or console", format)
	}
	core := zapcore.NewCore(enc, zapcore.Lock(zapcore.AddSync(w)), lvl)
	return zapr.NewLogger(zap.New(core)), nil
}

// routeStdLog sends net/http's own complaints (TLS handshake failures, mostly) to the debug level: a
// client refused for offering TLS 1.1 is not worth a line at info. controller-runtime's webhook server
// gives its http.Server no ErrorLog, so they go to the standard logger, which this redirects.
func routeStdLog(log logr.Logger) {
	stdlog.SetFlags(0)
	stdlog.SetOutput(logrWriter{log.WithName("http").V(1)})
}

type logrWriter struct{ log logr.Logger }

func (w logrWriter) Write(p []byte) (int, error) {
	w.log.Info(strings.TrimSpace(string(p)))
	return len(p), nil
}
