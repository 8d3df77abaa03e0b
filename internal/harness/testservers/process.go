package testservers

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// startTimeout is how long a service gets to answer its first request; MinIO formats its drive on start.
const startTimeout = 90 * time.Second

// ModuleRoot returns the directory holding go.mod, found upwards from the test's working directory.
func ModuleRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatalf("testservers: working directory: %v", err)
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			t.Fatalf("testservers: no go.mod above %s", dir)
		}
	}
}

// Binary returns the service binary named by env, or rel under the module root; it fails the test with
// the way to get it when the file is missing (integration tests never skip).
func Binary(t testing.TB, env, rel, installTarget string) string {
	t.Helper()
	path := os.Getenv(env)
	if path == "" {
		path = filepath.Join(ModuleRoot(t), rel)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("testservers: %s binary not found at %s: set %s or run `hack/tools/install.sh %s`", installTarget, path, env, installTarget)
	}
	return path
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testservers: finding a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// process is a started service: its output is kept for failure messages.
type process struct {
	name string
	cmd  *exec.Cmd
	out  *lockedBuffer
	done chan struct{}
	err  error
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.buf.Len() > 1<<20 {
		return len(p), nil
	}
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// start runs the command in its own process group and registers a cleanup that stops it (SIGTERM, then
// SIGKILL after 10 s) whatever the test's outcome.
func start(t testing.TB, name string, env []string, bin string, args ...string) *process {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	p := &process{name: name, cmd: cmd, out: &lockedBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	if err := cmd.Start(); err != nil {
		t.Fatalf("testservers: starting %s (%s): %v", name, bin, err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() { p.stop(t) })
	return p
}

func (p *process) stop(t testing.TB) {
	select {
	case <-p.done:
		return
	default:
	}
	pgid := p.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-p.done
	}
	if t.Failed() {
		t.Logf("testservers: %s output:\n%s", p.name, p.out.String())
	}
}

// waitHTTP polls url until ready accepts a response, failing the test if the process exits first or the
// start timeout passes.
func (p *process) waitHTTP(t testing.TB, client *http.Client, url string, ready func(*http.Response) bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	var last error
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := client.Do(req)
		if err == nil {
			ok := ready(resp)
			resp.Body.Close()
			if ok {
				return
			}
			last = fmt.Errorf("status %s", resp.Status)
		} else {
			last = err
		}
		select {
		case <-p.done:
			t.Fatalf("testservers: %s exited before answering (%v):\n%s", p.name, p.err, p.out.String())
		case <-ctx.Done():
			t.Fatalf("testservers: %s did not answer %s within %s (last: %v):\n%s", p.name, url, startTimeout, last, p.out.String())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Output returns what the process wrote so far.
func (p *process) Output() string { return p.out.String() }

func hostPort(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }
