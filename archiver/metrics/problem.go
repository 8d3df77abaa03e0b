package metrics

import "github.com/prometheus/client_golang/prometheus"

// Problem reasons, the values of the reason label of wal_archiver_problem: why `wal-archiver stream` is up
// but not archiving. A small fixed set, so that an alert can name the cause without a label per message.
const (
	ProblemConfig      = "config"
	ProblemCredentials = "credentials"
	ProblemCA          = "ca"
	ProblemStore       = "store"
	ProblemPostgreSQL  = "postgresql"
	ProblemSpool       = "spool"
)

// ProblemReasons lists every problem reason; each series exists from the start, at 0.
var ProblemReasons = []string{ProblemConfig, ProblemCredentials, ProblemCA, ProblemStore, ProblemPostgreSQL, ProblemSpool}

func (m *Metrics) registerProblems() {
	m.Problems = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "wal_archiver_problem",
		Help: "1 for the reason archiving cannot start (configuration, credentials, CA, store, PostgreSQL, spool), 0 otherwise; /readyz names it."},
		[]string{"reason"})
	m.Registry.MustRegister(m.Problems)
	for _, r := range ProblemReasons {
		m.Problems.WithLabelValues(r).Set(0)
	}
	m.Registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "wal_archiver_ready",
		Help: "1 while /readyz answers 200 (streaming from a primary, or waiting on a standby), 0 otherwise."},
		func() float64 {
			if m.Health.Ready() {
				return 1
			}
			return 0
		}))
}

// SetProblem records why archiving cannot start (msg names it, for /readyz), or clears it with reason "".
// It reports whether the problem changed, so that the caller logs once per change, not once per retry.
func (m *Metrics) SetProblem(reason, msg string) bool {
	changed := m.Health.setProblem(reason, msg)
	for _, r := range ProblemReasons {
		v := 0.0
		if r == reason {
			v = 1
		}
		m.Problems.WithLabelValues(r).Set(v)
	}
	return changed
}

func (h *Health) setProblem(reason, msg string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	changed := h.problemReason != reason || h.problem != msg
	h.problemReason, h.problem = reason, msg
	return changed
}

// Problem is what stops archiving from starting, "" when nothing does.
func (h *Health) Problem() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.problem
}

// Ready says whether /readyz answers 200.
func (h *Health) Ready() bool {
	if h.Problem() != "" {
		return false
	}
	s := h.State()
	return s == StateStreaming || s == StateStandby
}
