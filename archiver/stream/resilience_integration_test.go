//go:build integration

package stream

import (
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/objectstore-webhook/objectstore-webhook/certs"
	"github.com/objectstore-webhook/objectstore-webhook/internal/harness/testservers"
)

// caPEM is a CA certificate in PEM: what the endpoint CA file should hold (the store here is plain HTTP,
// so any CA will do).
func caPEM(t *testing.T) string {
	t.Helper()
	ca, err := certs.NewCA("test CA", time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return string(ca.CertPEM)
}

// probe answers the status and body of one of the archiver's endpoints, or 0 while nothing listens.
func (p *archiverProc) probe(path string) (int, string) {
	c := http.Client{Timeout: time.Second}
	resp, err := c.Get("http://" + p.listen + path)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	n, _ := resp.Body.Read(buf)
	b.Write(buf[:n])
	return resp.StatusCode, b.String()
}

// TestBinaryStaysUpUntilFixed starts `wal-archiver stream` with one thing wrong at a time. Each time the
// process stays up, answers /healthz within 2 s, says on /readyz what is wrong, creates no slot, and once
// the cause is fixed (a file swapped as the kubelet does, or the server started) archives a segment with
// no further action. Before this change the process exited at the first of these problems.
func TestBinaryStaysUpUntilFixed(t *testing.T) {
	m := testservers.StartMinIO(t, testservers.MinIOOptions{})
	m.CreateBucket(t, bucket)
	pg := primary(t)
	st := minioStore(t, m)
	unreachable := fmt.Sprintf("http://127.0.0.1:%d", testservers.FreePort(t))

	for _, tc := range []struct {
		name   string
		env    func(dir string) []string
		noPG   bool
		reason string
		want   string
		fix    func(t *testing.T, dir string, pg *testservers.Postgres)
	}{
		{
			name: "missing-credentials",
			env: func(dir string) []string {
				testservers.KubeletSwap(t, filepath.Join(dir, "credentials"), map[string]string{"AWS_ACCESS_KEY_ID": m.AccessKey + "\n"})
				return []string{"WAL_ARCHIVER_CREDENTIALS_DIR=" + filepath.Join(dir, "credentials"), "AWS_ACCESS_KEY_ID=", "AWS_SECRET_ACCESS_KEY="}
			},
			reason: "credentials",
			want:   "credentials: no AWS_SECRET_ACCESS_KEY in ",
			fix: func(t *testing.T, dir string, _ *testservers.Postgres) {
				testservers.KubeletSwap(t, filepath.Join(dir, "credentials"), map[string]string{"AWS_ACCESS_KEY_ID": m.AccessKey + "\n",
					"AWS_SECRET_ACCESS_KEY": m.SecretKey + "\r\n"})
			},
		},
		{
			name: "ca-not-pem",
			env: func(dir string) []string {
				testservers.KubeletSwap(t, filepath.Join(dir, "ca"), map[string]string{"ca.crt": "this is not a certificate"})
				return []string{"WAL_ARCHIVER_ENDPOINT_CA_FILE=" + filepath.Join(dir, "ca", "ca.crt")}
			},
			reason: "ca",
			want:   "no PEM certificate",
			fix: func(t *testing.T, dir string, _ *testservers.Postgres) {
				testservers.KubeletSwap(t, filepath.Join(dir, "ca"), map[string]string{"ca.crt": caPEM(t)})
			},
		},
		{
			name: "unreachable-store",
			env: func(dir string) []string {
				testservers.KubeletSwap(t, filepath.Join(dir, "settings"), map[string]string{"settings.json": `{"WAL_ARCHIVER_ENDPOINT_URL":"` + unreachable + `"}`})
				return []string{"WAL_ARCHIVER_SETTINGS_FILE=" + filepath.Join(dir, "settings", "settings.json")}
			},
			reason: "store",
			want:   "store: ",
			fix: func(t *testing.T, dir string, _ *testservers.Postgres) {
				testservers.KubeletSwap(t, filepath.Join(dir, "settings"), map[string]string{"settings.json": `{"WAL_ARCHIVER_ENDPOINT_URL":"` + m.URL + `"}`})
			},
		},
		{
			name:   "no-postgresql-yet",
			env:    func(string) []string { return nil },
			noPG:   true,
			reason: "postgresql",
			want:   "postgresql: ",
			fix:    func(t *testing.T, _ string, pg *testservers.Postgres) { pg.Start(t) },
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			server := "up-" + tc.name
			target := pg
			if tc.noPG {
				target = testservers.InitPostgres(t, testservers.PostgresOptions{Conf: senderConf})
			}
			p := launch(t, m, server, filepath.Join(dir, "spool"),
				[]string{"--conninfo", target.ConnString(), "--settings-poll-interval", "200ms"}, tc.env(dir)...)

			// The requirement: /healthz answers 200 within 2 s of the start, whatever is wrong.
			healthy := false
			for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline) && !healthy; time.Sleep(50 * time.Millisecond) {
				code, _ := p.probe("/healthz")
				healthy = code == http.StatusOK
			}
			if !healthy {
				t.Fatalf("/healthz did not answer 200 within 2 s:\n%s", p.out.String())
			}
			waitFor(t, time.Minute, func() bool {
				code, body := p.probe("/readyz")
				return code == http.StatusServiceUnavailable && strings.Contains(body, tc.want)
			}, func() string {
				code, body := p.probe("/readyz")
				return fmt.Sprintf("/readyz %d %q, want 503 naming %q", code, body, tc.want)
			})
			if v := p.metric(t, `wal_archiver_problem{reason="`+tc.reason+`"}`); v != 1 {
				t.Errorf("wal_archiver_problem{reason=%q} = %v, want 1", tc.reason, v)
			}
			if v := p.metric(t, "wal_archiver_ready"); v != 0 {
				t.Errorf("wal_archiver_ready = %v with a problem", v)
			}
			select {
			case <-p.done:
				t.Fatalf("wal-archiver exited:\n%s", p.out.String())
			default:
			}
			slot := "arch_" + strings.ReplaceAll(server, "-", "_")
			if !tc.noPG {
				if n := pg.SQL(t, "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '"+slot+"'"); n != "0" {
					t.Errorf("a slot exists before the problem is fixed: %s", n)
				}
			}
			if c := strings.Count(p.out.String(), "cannot archive yet"); c != 1 {
				t.Errorf("the problem was logged %d times, want once per change", c)
			}

			tc.fix(t, dir, target)
			name := switchWAL(t, target)
			view := archiveView(t, st, server, "")
			view.waitArchived(t, name, 2*time.Minute)
			waitFor(t, time.Minute, func() bool { code, _ := p.probe("/readyz"); return code == http.StatusOK },
				func() string {
					code, body := p.probe("/readyz")
					return fmt.Sprintf("/readyz %d %q after the fix", code, body)
				})
			if v := p.metric(t, `wal_archiver_problem{reason="`+tc.reason+`"}`); v != 0 {
				t.Errorf("wal_archiver_problem{reason=%q} = %v after the fix", tc.reason, v)
			}
			p.term(t)
		})
	}
}
