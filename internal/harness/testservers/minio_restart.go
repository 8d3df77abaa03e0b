package testservers

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/objectstore-webhook/objectstore-webhook/certs"
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

// RenewServing restarts MinIO serving a new certificate signed by ca (a renewed CA), as an operator
// renewing the store's certificate would; m.CAFile is left alone, so clients must be told of the new CA.
func (m *MinIO) RenewServing(t testing.TB, ca, serving *certs.KeyPair) {
	t.Helper()
	certsDir := filepath.Join(filepath.Dir(m.DataDir), "certs")
	writeFile(t, filepath.Join(certsDir, "public.crt"), serving.CertPEM)
	writeFile(t, filepath.Join(certsDir, "private.key"), serving.KeyPEM)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca.CertPEM)
	m.client = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	m.Stop(t)
	m.Restart(t)
}
