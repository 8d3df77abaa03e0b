package metrics

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// A problem makes /readyz 503 with its message even while a state would be ready, sets
// wal_archiver_problem{reason} and wal_archiver_ready, and SetProblem reports a change only once.
func TestProblemOnReadyzAndMetrics(t *testing.T) {
	m := New()
	m.Health.SetState(StateStreaming)
	readyz := func() (int, string) {
		rec := httptest.NewRecorder()
		m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
		return rec.Code, rec.Body.String()
	}
	if code, _ := readyz(); code != http.StatusOK {
		t.Fatalf("streaming: %d", code)
	}
	msg := "credentials: no AWS_SECRET_ACCESS_KEY in /etc/wal-archiver/credentials"
	if !m.SetProblem(ProblemCredentials, msg) {
		t.Error("first SetProblem reported no change")
	}
	if m.SetProblem(ProblemCredentials, msg) {
		t.Error("the same problem again reported a change (it would be logged on every retry)")
	}
	if code, body := readyz(); code != http.StatusServiceUnavailable || !strings.Contains(body, msg) {
		t.Errorf("readyz %d %q, want 503 naming the problem", code, body)
	}
	if v := testutil.ToFloat64(m.Problems.WithLabelValues(ProblemCredentials)); v != 1 {
		t.Errorf("problem{credentials} = %v", v)
	}
	if v := testutil.ToFloat64(m.Problems.WithLabelValues(ProblemStore)); v != 0 {
		t.Errorf("problem{store} = %v", v)
	}
	if m.Health.Ready() {
		t.Error("Ready() with a problem")
	}
	m.SetProblem("", "")
	if code, _ := readyz(); code != http.StatusOK || !m.Health.Ready() {
		t.Errorf("cleared problem: readyz %d", code)
	}
}
