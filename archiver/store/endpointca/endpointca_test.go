package endpointca

import (
	"crypto/x509"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/objectstore-webhook/objectstore-webhook/certs"
)

func TestPoolTrustsTheBundleOnTopOfTheSystemRoots(t *testing.T) {
	ca, err := certs.NewCA("test", time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "ca.crt")
	if err := os.WriteFile(file, ca.CertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	tr, err := Transport(file)
	if err != nil {
		t.Fatal(err)
	}
	pool := tr.TLSClientConfig.RootCAs
	leaf, err := certs.IssueServing(ca, []string{"store.example"}, nil, time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := leaf.Cert.Verify(x509.VerifyOptions{Roots: pool, DNSName: "store.example"}); err != nil {
		t.Fatalf("a certificate signed by the bundle's CA is not trusted: %v", err)
	}
	only := x509.NewCertPool()
	only.AppendCertsFromPEM(ca.CertPEM)
	system, err := x509.SystemCertPool()
	if err != nil {
		t.Fatal(err)
	}
	if !system.Equal(x509.NewCertPool()) && pool.Equal(only) {
		t.Fatal("the bundle replaced the system roots instead of adding to them")
	}
}

func TestPoolErrors(t *testing.T) {
	if _, err := Pool(filepath.Join(t.TempDir(), "missing.crt")); err == nil || !strings.Contains(err.Error(), "reading the endpoint CA bundle") {
		t.Fatalf("missing file: %v", err)
	}
	file := filepath.Join(t.TempDir(), "junk.crt")
	if err := os.WriteFile(file, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Pool(file); err == nil || !strings.Contains(err.Error(), "holds no PEM certificate") {
		t.Fatalf("junk file: %v", err)
	}
	tr, err := Transport("")
	if err != nil || tr.TLSClientConfig.RootCAs != nil {
		t.Fatalf("without a bundle the system roots must be used as they are: %v", err)
	}
}
