package certs

import (
	"crypto/tls"
	"crypto/x509"
	"os"
	"path/filepath"

	"github.com/go-logr/logr"
)

// CertManager serves the Secret cert-manager keeps mounted in a directory (tls.crt, tls.key, ca.crt). It is
// the files mode plus one readiness condition: the served certificate chains to the ca.crt beside it, which
// is the CA cert-manager's cainjector publishes in the caBundle (cert-manager.io/inject-ca-from). A pair
// from another issuer, or a CA rotated without re-issuing the leaf, keeps the replica out of the Service
// instead of failing every admission call with a TLS error.
type CertManager struct {
	*Files
	caPath string
}

var _ Provider = (*CertManager)(nil)

// NewCertManager watches dir, the mount of the Certificate's Secret (manifests/cert-manager mounts /tls).
func NewCertManager(dir string, log logr.Logger) (*CertManager, error) {
	f, err := NewFiles(FilesConfig{Dir: dir, CertName: keyTLSCert, KeyName: keyTLSKey}, log)
	if err != nil {
		return nil, err
	}
	return &CertManager{Files: f, caPath: filepath.Join(dir, keyCACert)}, nil
}

// Ready is true once a valid pair is served that the mounted ca.crt trusts.
func (c *CertManager) Ready() bool {
	cert, err := c.GetCertificate(&tls.ClientHelloInfo{})
	if err != nil || cert.Leaf == nil {
		return false
	}
	caPEM, err := os.ReadFile(c.caPath)
	if err != nil {
		return false
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(caPEM) {
		return false
	}
	inter := x509.NewCertPool()
	for _, der := range cert.Certificate[1:] {
		if ic, err := x509.ParseCertificate(der); err == nil {
			inter.AddCert(ic)
		}
	}
	_, err = cert.Leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: c.cfg.now()})
	return err == nil
}
