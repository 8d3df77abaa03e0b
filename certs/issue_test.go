package certs

import (
	"crypto/x509"
	"net"
	"testing"
	"time"
)

func TestIssuedServingCertificateVerifiesAgainstItsCA(t *testing.T) {
	now := time.Now()
	ca, err := NewCA("objectstore-webhook-ca", 24*time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := IssueServing(ca, []string{"objectstore-webhook.objectstore-webhook-system.svc"}, []net.IP{net.IPv4(127, 0, 0, 1)}, 48*time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	if !leaf.Cert.NotAfter.Equal(ca.Cert.NotAfter) {
		t.Errorf("leaf outlives its CA: leaf %s, CA %s", leaf.Cert.NotAfter, ca.Cert.NotAfter)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)
	for _, name := range []string{"objectstore-webhook.objectstore-webhook-system.svc", "127.0.0.1"} {
		if _, err := leaf.Cert.Verify(x509.VerifyOptions{DNSName: name, Roots: roots}); err != nil {
			t.Errorf("verify for %s: %v", name, err)
		}
	}
	if _, err := leaf.Cert.Verify(x509.VerifyOptions{DNSName: "other.example", Roots: roots}); err == nil {
		t.Error("certificate verified for a name it was not issued for")
	}
	back, err := ParseKeyPair(leaf.CertPEM, leaf.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	if !back.Cert.Equal(leaf.Cert) {
		t.Error("PEM round trip changed the certificate")
	}
}

func TestIssueRefusesNonsense(t *testing.T) {
	now := time.Now()
	if _, err := NewCA("x", 0, now); err == nil {
		t.Error("zero CA lifetime accepted")
	}
	ca, _ := NewCA("x", time.Hour, now)
	if _, err := IssueServing(ca, nil, nil, time.Hour, now); err == nil {
		t.Error("certificate without names accepted")
	}
	if _, err := IssueServing(nil, []string{"a"}, nil, time.Hour, now); err == nil {
		t.Error("certificate without CA accepted")
	}
	if _, err := ParseKeyPair([]byte("not pem"), nil); err == nil {
		t.Error("garbage parsed as a key pair")
	}
}
