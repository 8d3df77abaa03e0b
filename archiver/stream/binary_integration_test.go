//go:build integration

package stream

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/objectstore-webhook/objectstore-webhook/internal/harness/testservers"
)

// binDir holds the wal-archiver binary built for these tests, in a directory the postgres OS user can
// read (restore_command runs as postgres).
var binDir string

func TestMain(m *testing.M) { os.Exit(testservers.RunWithArchiver(m, &binDir)) }

func binary() string { return filepath.Join(binDir, "wal-archiver") }

// storeEnv is the environment that points wal-archiver at MinIO under prefix/<server>.
func storeEnv(m *testservers.MinIO, server string) []string {
	return []string{
		"WAL_ARCHIVER_DESTINATION_PATH=s3://" + bucket + "/prefix", "WAL_ARCHIVER_ENDPOINT_URL=" + m.URL,
		"WAL_ARCHIVER_SERVER_NAME=" + server, "AWS_ACCESS_KEY_ID=" + m.AccessKey, "AWS_SECRET_ACCESS_KEY=" + m.SecretKey,
		"AWS_REGION=" + m.Region,
	}
}

type lockedBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *lockedBuf) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// archiverProc is `wal-archiver stream` running as a child process.
type archiverProc struct {
	cmd    *exec.Cmd
	listen string
	out    *lockedBuf
	done   chan struct{}
}

func startBinary(t *testing.T, pg *testservers.Postgres, m *testservers.MinIO, server, spool string, extra ...string) *archiverProc {
	t.Helper()
	p := launch(t, m, server, spool, append([]string{"--conninfo", pg.ConnString()}, extra...),
		"WAL_ARCHIVER_PARTIAL_INTERVAL=2s")
	waitFor(t, time.Minute, func() bool { _, err := p.scrape(); return err == nil }, func() string { return "wal-archiver /metrics:\n" + p.out.String() })
	return p
}

// launch starts `wal-archiver stream` archiving to server on m, spooling in spool, with args after the
// test's intervals and env after the store's settings. The test's own libpq variables are dropped, so
// that only what args and env say reaches the connection.
func launch(t *testing.T, m *testservers.MinIO, server, spool string, args []string, env ...string) *archiverProc {
	t.Helper()
	p := &archiverProc{listen: fmt.Sprintf("127.0.0.1:%d", testservers.FreePort(t)), out: &lockedBuf{}, done: make(chan struct{})}
	p.cmd = exec.Command(binary(), append([]string{"stream", "--status-interval", "200ms", "--poll-interval", "500ms"}, args...)...)
	p.cmd.Env = append(withoutPGEnv(os.Environ()), storeEnv(m, server)...)
	p.cmd.Env = append(p.cmd.Env, "WAL_ARCHIVER_SPOOL_DIR="+spool, "WAL_ARCHIVER_LISTEN="+p.listen,
		"WAL_ARCHIVER_SLOT=arch_"+strings.ReplaceAll(server, "-", "_"))
	p.cmd.Env = append(p.cmd.Env, env...)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.kill9()
		if t.Failed() {
			t.Logf("wal-archiver (%s) output:\n%s", server, p.out.String())
		}
	})
	return p
}

// withoutPGEnv drops libpq variables of the test's own environment.
func withoutPGEnv(env []string) []string {
	out := env[:0:0]
	for _, e := range env {
		if !strings.HasPrefix(e, "PG") {
			out = append(out, e)
		}
	}
	return out
}

func (p *archiverProc) kill9() {
	select {
	case <-p.done:
	default:
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
		<-p.done
	}
}

// term stops it as Kubernetes does and waits for it to exit cleanly.
func (p *archiverProc) term(t *testing.T) {
	t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(2 * time.Minute):
		t.Fatalf("wal-archiver did not stop within 2 minutes of SIGTERM")
	}
	if code := p.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("wal-archiver exited with %d after SIGTERM:\n%s", code, p.out.String())
	}
}

func (p *archiverProc) scrape() (map[string]float64, error) {
	resp, err := http.Get("http://" + p.listen + "/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		if name, val, ok := strings.Cut(line, " "); ok {
			f, _ := strconv.ParseFloat(val, 64)
			out[name] = f
		}
	}
	return out, sc.Err()
}

func (p *archiverProc) metric(t *testing.T, name string) float64 {
	t.Helper()
	m, err := p.scrape()
	if err != nil {
		t.Fatalf("scraping wal-archiver: %v", err)
	}
	return m[name]
}

// pgbench runs pgbench for d against pg; the returned func waits for it.
func pgbench(t *testing.T, pg *testservers.Postgres, d time.Duration, clients int) func() {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := pg.Command(ctx, "pgbench", "-h", "127.0.0.1", "-p", strconv.Itoa(pg.Port), "-U", "postgres", "-n",
		"-c", strconv.Itoa(clients), "-T", strconv.Itoa(int(d.Seconds())), "postgres")
	out := &lockedBuf{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return func() {
		if err := <-done; err != nil {
			t.Fatalf("pgbench: %v\n%s", err, out.String())
		}
		done <- nil
	}
}
