package testservers

import (
	"net/http"
	"testing"
)

// Stop stops the MinIO server (SIGTERM), keeping its data directory and port for Restart.
func (m *MinIO) Stop(t testing.TB) {
	t.Helper()
	m.proc.stop(t)
}

// Restart starts MinIO again with the same environment, address and data directory and waits until it
// is live.
func (m *MinIO) Restart(t testing.TB) {
	t.Helper()
	old := m.proc.cmd
	m.proc = start(t, "minio", old.Env, old.Path, old.Args[1:]...)
	m.proc.waitHTTP(t, m.client, m.URL+"/minio/health/live", func(r *http.Response) bool { return r.StatusCode == http.StatusOK })
}
