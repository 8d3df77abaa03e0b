package admission

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Verdicts, the values of the verdict label. Each request counts under exactly one, the first that applies.
const (
	VerdictError     = "error"     // the handler failed (Result.Err, a panic, a bug) or none is registered
	VerdictMalformed = "malformed" // the HTTP request or the review could not be read; no handler ran
	VerdictDenied    = "denied"    // field errors or another denial
	VerdictPatched   = "patched"   // allowed with a JSON patch
	VerdictWarned    = "warned"    // allowed unchanged, with warnings
	VerdictAllowed   = "allowed"   // allowed unchanged, without warnings
)

// latencyBuckets start well below the 100 µs an ObjectStore review takes, so the histogram resolves the
// common case instead of piling everything into its first bucket, and reach the API server's 10 s default
// timeout, which only a secret lookup against a struggling API server comes near.
var latencyBuckets = []float64{
	25e-6, 50e-6, 100e-6, 250e-6, 500e-6,
	1e-3, 2.5e-3, 5e-3, 10e-3, 25e-3, 50e-3, 100e-3, 250e-3, 500e-3,
	1, 2.5, 5, 10,
}

// sizeBuckets go from a tiny review to the default body limit and beyond (for raised limits).
var sizeBuckets = prometheus.ExponentialBuckets(512, 4, 9) // 512 B … 32 MiB

// Metrics are the transport's Prometheus collectors. They go into a registry of the caller's choosing, not
// the global default one, so that tests and embedders get exactly these series.
type Metrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	size     *prometheus.HistogramVec
	inFlight prometheus.Gauge
}

// NewMetrics creates the collectors and registers them with reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "objectstore_webhook_admission_requests_total",
			Help: "Admission reviews answered, by webhook path, resource, operation and verdict.",
		}, []string{"webhook", "resource", "operation", "verdict"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "objectstore_webhook_admission_duration_seconds",
			Help:    "Time from reading the first byte of a review to writing its response, by webhook path.",
			Buckets: latencyBuckets,
		}, []string{"webhook"}),
		size: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "objectstore_webhook_admission_request_bytes",
			Help:    "Size of admission review bodies, by webhook path.",
			Buckets: sizeBuckets,
		}, []string{"webhook"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "objectstore_webhook_admission_in_flight",
			Help: "Admission reviews being answered right now.",
		}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.latency, m.size, m.inFlight} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// observe records one answered request. A nil *Metrics records nothing.
func (m *Metrics) observe(webhook, resource, operation, verdict string, bytes int, elapsed time.Duration) {
	if m == nil {
		return
	}
	m.requests.WithLabelValues(webhook, resource, operation, verdict).Inc()
	m.latency.WithLabelValues(webhook).Observe(elapsed.Seconds())
	if bytes >= 0 {
		m.size.WithLabelValues(webhook).Observe(float64(bytes))
	}
}

func (m *Metrics) enter() {
	if m != nil {
		m.inFlight.Inc()
	}
}

func (m *Metrics) leave() {
	if m != nil {
		m.inFlight.Dec()
	}
}
