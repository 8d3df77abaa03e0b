package testservers

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"testing"
)

// FakeGCS is a running fake-gcs-server.
type FakeGCS struct {
	// Host is host:port, the value of STORAGE_EMULATOR_HOST.
	Host string
	// URL is http://Host.
	URL  string
	proc *process
}

// StartFakeGCS starts fake-gcs-server (FAKE_GCS_SERVER_BIN, default <module>/bin/fake-gcs-server) over
// plain HTTP with an in-memory backend and waits until it lists buckets.
func StartFakeGCS(t testing.TB) *FakeGCS {
	t.Helper()
	bin := Binary(t, "FAKE_GCS_SERVER_BIN", "bin/fake-gcs-server", "fake-gcs-server")
	port := FreePort(t)
	f := &FakeGCS{Host: hostPort(port)}
	f.URL = "http://" + f.Host
	f.proc = start(t, "fake-gcs-server", nil, bin,
		"-scheme", "http", "-host", "127.0.0.1", "-port", fmt.Sprint(port), "-backend", "memory",
		"-filesystem-root", filepath.Join(t.TempDir(), "storage"),
		"-external-url", f.URL, "-public-host", f.Host, "-log-level", "warn")
	f.proc.waitHTTP(t, &http.Client{}, f.URL+"/storage/v1/b", func(r *http.Response) bool { return r.StatusCode == http.StatusOK })
	return f
}

// CreateBucket creates bucket, failing the test on error.
func (f *FakeGCS) CreateBucket(t testing.TB, bucket string) {
	t.Helper()
	body := fmt.Sprintf(`{"name":%q}`, bucket)
	resp, err := http.Post(f.URL+"/storage/v1/b?project=test", "application/json", bytes.NewBufferString(body))
	if err != nil {
		t.Fatalf("testservers: creating fake-gcs bucket %q: %v", bucket, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(resp.Body)
		t.Fatalf("testservers: creating fake-gcs bucket %q: %s: %s", bucket, resp.Status, msg)
	}
}

// Output returns the server's log so far.
func (f *FakeGCS) Output() string { return f.proc.Output() }
