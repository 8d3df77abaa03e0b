package testservers

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/objectstore-webhook/objectstore-webhook/certs"
)

// FakeGCS is a running fake-gcs-server.
type FakeGCS struct {
	// Host is host:port, the value of STORAGE_EMULATOR_HOST.
	Host string
	// URL is http://Host.
	URL string
	// CAFile is the PEM file of the CA that signed the serving certificate; empty without TLS.
	CAFile string
	proc   *process
	client *http.Client
}

// FakeGCSOptions configure StartFakeGCS.
type FakeGCSOptions struct {
	// CA and Serving, when set, make the server speak HTTPS with Serving (which must name 127.0.0.1); CA
	// is written to CAFile.
	CA      *certs.KeyPair
	Serving *certs.KeyPair
}

// StartFakeGCS starts fake-gcs-server (FAKE_GCS_SERVER_BIN, default <module>/bin/fake-gcs-server) with an
// in-memory backend, over plain HTTP unless given a certificate, and waits until it lists buckets. At
// most one FakeGCSOptions is used.
func StartFakeGCS(t testing.TB, opts ...FakeGCSOptions) *FakeGCS {
	t.Helper()
	bin := Binary(t, "FAKE_GCS_SERVER_BIN", "bin/fake-gcs-server", "fake-gcs-server")
	dir := t.TempDir()
	port := FreePort(t)
	f := &FakeGCS{Host: hostPort(port), client: &http.Client{}}
	scheme := "http"
	var tlsArgs []string
	if len(opts) > 0 && opts[0].Serving != nil {
		o := opts[0]
		certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
		writeFile(t, certFile, o.Serving.CertPEM)
		writeFile(t, keyFile, o.Serving.KeyPEM)
		tlsArgs = []string{"-cert-location", certFile, "-private-key-location", keyFile}
		scheme = "https"
		pool := x509.NewCertPool()
		if o.CA != nil {
			f.CAFile = filepath.Join(dir, "ca.crt")
			writeFile(t, f.CAFile, o.CA.CertPEM)
			pool.AppendCertsFromPEM(o.CA.CertPEM)
		}
		f.client = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	}
	f.URL = scheme + "://" + f.Host
	args := append([]string{"-scheme", scheme, "-host", "127.0.0.1", "-port", fmt.Sprint(port), "-backend", "memory",
		"-filesystem-root", filepath.Join(dir, "storage"),
		"-external-url", f.URL, "-public-host", f.Host, "-log-level", "warn"}, tlsArgs...)
	f.proc = start(t, "fake-gcs-server", nil, bin, args...)
	f.proc.waitHTTP(t, f.client, f.URL+"/storage/v1/b", func(r *http.Response) bool { return r.StatusCode == http.StatusOK })
	return f
}

// CreateBucket creates bucket, failing the test on error.
func (f *FakeGCS) CreateBucket(t testing.TB, bucket string) {
	t.Helper()
	body := fmt.Sprintf(`{"name":%q}`, bucket)
	resp, err := f.client.Post(f.URL+"/storage/v1/b?project=test", "application/json", bytes.NewBufferString(body))
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
