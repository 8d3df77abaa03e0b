package metrics

import (
	"net/http"
	"sort"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Failure reasons, the values of the reason label of wal_archiver_failures_total.
const (
	ReasonConnect  = "connect"
	ReasonStream   = "stream"
	ReasonSpool    = "spool"
	ReasonUpload   = "upload"
	ReasonCompare  = "compare"
	ReasonConflict = "conflict"
	ReasonDownload = "download"
	// ReasonRetention: a retention run failed (catalog unreadable, a delete refused); ReasonBackup: a base
	// backup failed.
	ReasonRetention = "retention"
	ReasonBackup    = "backup"
)

// Reasons lists every failure reason. Each one's series exists from the start, at 0, so that rate() and
// increase() in an alert see the first failure instead of a series that appears at 1.
var Reasons = []string{ReasonConnect, ReasonStream, ReasonSpool, ReasonUpload, ReasonCompare, ReasonConflict, ReasonDownload,
	ReasonRetention, ReasonBackup}

// Metrics are the archiver's collectors on their own registry (no Go runtime noise unless asked for).
type Metrics struct {
	Registry          *prometheus.Registry
	ArchivedBytes     prometheus.Counter
	ArchivedSegments  prometheus.Counter
	UploadedBytes     prometheus.Counter
	Partials          prometheus.Counter
	Conflicts         prometheus.Counter
	Failures          *prometheus.CounterVec
	UploadSeconds     *prometheus.HistogramVec
	LagBytes          prometheus.Gauge
	SlotRetainedBytes prometheus.Gauge
	QueuedFiles       prometheus.Gauge
	SpooledSegments   prometheus.Counter
	GapSegments       prometheus.Counter
	BufferBytes       prometheus.Gauge
	Primary           prometheus.Gauge
	Timeline          prometheus.Gauge
	Health            *Health
	Catalog           *Catalog
	Backup            *Backup
	Problems          *prometheus.GaugeVec
}

// New registers the collectors on a fresh registry, with the process and Go collectors.
func New() *Metrics {
	r := prometheus.NewRegistry()
	r.MustRegister(prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	f := func(c prometheus.Collector) prometheus.Collector { r.MustRegister(c); return c }
	m := &Metrics{
		Registry: r,
		ArchivedBytes: f(prometheus.NewCounter(prometheus.CounterOpts{Name: "wal_archiver_archived_bytes_total",
			Help: "WAL bytes (uncompressed) of complete segments stored in the object store."})).(prometheus.Counter),
		ArchivedSegments: f(prometheus.NewCounter(prometheus.CounterOpts{Name: "wal_archiver_archived_segments_total",
			Help: "Complete WAL segments stored in the object store (including ones found already stored with identical content)."})).(prometheus.Counter),
		UploadedBytes: f(prometheus.NewCounter(prometheus.CounterOpts{Name: "wal_archiver_uploaded_bytes_total",
			Help: "Bytes sent to the object store after compression, all kinds of object."})).(prometheus.Counter),
		Partials: f(prometheus.NewCounter(prometheus.CounterOpts{Name: "wal_archiver_partial_uploads_total",
			Help: "Uploads of the segment being written as <segment>.partial."})).(prometheus.Counter),
		Conflicts: f(prometheus.NewCounter(prometheus.CounterOpts{Name: "wal_archiver_conflicts_total",
			Help: "Keys where the store already held different content; such a key is never replaced."})).(prometheus.Counter),
		Failures: f(prometheus.NewCounterVec(prometheus.CounterOpts{Name: "wal_archiver_failures_total",
			Help: "Failed attempts by reason; uploads and connections are retried."}, []string{"reason"})).(*prometheus.CounterVec),
		UploadSeconds: f(prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "wal_archiver_upload_duration_seconds",
			Help:    "Time to compress and store one object, retries included.",
			Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}}, []string{"kind"})).(*prometheus.HistogramVec),
		LagBytes: f(prometheus.NewGauge(prometheus.GaugeOpts{Name: "wal_archiver_lag_bytes",
			Help: "Server flush position minus the position up to which WAL is in the object store (complete segments or .partial)."})).(prometheus.Gauge),
		SlotRetainedBytes: f(prometheus.NewGauge(prometheus.GaugeOpts{Name: "wal_archiver_slot_retained_bytes",
			Help: "Server flush position minus the slot's confirmed position: WAL the server keeps for the archiver."})).(prometheus.Gauge),
		QueuedFiles: f(prometheus.NewGauge(prometheus.GaugeOpts{Name: "wal_archiver_queued_files",
			Help: "Files waiting for upload or being uploaded, in memory or in the local spool."})).(prometheus.Gauge),
		SpooledSegments: f(prometheus.NewCounter(prometheus.CounterOpts{Name: "wal_archiver_spooled_segments_total",
			Help: "Segments written to the local spool on disk because the memory budget was spent (the store is behind or down)."})).(prometheus.Counter),
		GapSegments: f(prometheus.NewCounter(prometheus.CounterOpts{Name: "wal_archiver_gap_segments_total",
			Help: "Segments given up without being stored because the slot would have held more than --max-wal-hold: a gap in the archive."})).(prometheus.Counter),
		BufferBytes: f(prometheus.NewGauge(prometheus.GaugeOpts{Name: "wal_archiver_buffer_bytes",
			Help: "Memory held by segment buffers, at most --memory-budget."})).(prometheus.Gauge),
		Primary: f(prometheus.NewGauge(prometheus.GaugeOpts{Name: "wal_archiver_streaming",
			Help: "1 while streaming from a primary, 0 while waiting (standby, connection lost)."})).(prometheus.Gauge),
		Timeline: f(prometheus.NewGauge(prometheus.GaugeOpts{Name: "wal_archiver_timeline",
			Help: "Timeline being archived."})).(prometheus.Gauge),
		Health: &Health{conflicts: map[string]bool{}},
	}
	for _, r := range Reasons {
		m.Failures.WithLabelValues(r)
	}
	m.Catalog = newCatalog(r)
	m.Backup = newBackup(r)
	m.registerProblems()
	return m
}

// Fail counts a failure.
func (m *Metrics) Fail(reason string) { m.Failures.WithLabelValues(reason).Inc() }

// Health is what the probes report.
type Health struct {
	mu        sync.Mutex
	conflicts map[string]bool
	state     string
	// problem, when set, is why archiving cannot start; /readyz answers it instead of the state.
	problem, problemReason string
}

// States reported by /readyz.
const (
	StateStarting  = "starting"
	StateStreaming = "streaming"
	StateStandby   = "waiting: the server is a standby"
	StateRetrying  = "retrying the connection"
)

// Conflict records a key that holds different content from what wal-archiver has for it.
func (h *Health) Conflict(key string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.conflicts[key] = true
}

// Conflicts lists the conflicting keys.
func (h *Health) Conflicts() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for k := range h.conflicts {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// SetState records what the archiver is doing.
func (h *Health) SetState(s string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.state = s
}

// State returns what the archiver is doing.
func (h *Health) State() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.state == "" {
		return StateStarting
	}
	return h.state
}

// Handler serves /metrics, /healthz (unhealthy while a conflict is unresolved: a person must look) and
// /readyz (ready while streaming from a primary or waiting on a standby; otherwise the problem that stops
// archiving from starting, or the state).
func (m *Metrics) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		if c := m.Health.Conflicts(); len(c) > 0 {
			http.Error(w, "conflict: the store holds different content at "+strings.Join(c, ", ")+
				"; archiving of these keys stopped and is not confirmed to PostgreSQL past them", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		if p := m.Health.Problem(); p != "" {
			http.Error(w, p, http.StatusServiceUnavailable)
			return
		}
		s := m.Health.State()
		if s != StateStreaming && s != StateStandby {
			http.Error(w, s, http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte(s + "\n"))
	})
	return mux
}
