package certs

import (
	"crypto/x509"
	"testing"
	"time"
)

// FuzzPlan feeds arbitrary Secret contents to the planner: it must not panic, and whatever it decides to
// store must hold a serving certificate that its own bundle trusts for the configured name.
func FuzzPlan(f *testing.F) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p := planParams{caName: "fuzz-ca", dnsNames: []string{"objectstore-webhook"}, caLifetime: 24 * time.Hour, certLifetime: time.Hour, renewBefore: RenewBefore{Fraction: 1.0 / 3}}
	good, _, err := plan(nil, p, now)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good[keyTLSCert], good[keyTLSKey], good[keyCACert], good[keyCAKey])
	f.Add([]byte("x"), []byte(""), good[keyCACert], good[keyTLSKey])
	f.Add(good[keyCACert], good[keyCAKey], good[keyTLSCert], good[keyTLSKey])
	f.Fuzz(func(t *testing.T, tlsCrt, tlsKey, caCrt, caKey []byte) {
		data := map[string][]byte{keyTLSCert: tlsCrt, keyTLSKey: tlsKey, keyCACert: caCrt, keyCAKey: caKey}
		out, _, err := plan(data, p, now)
		if err != nil {
			t.Fatal(err)
		}
		if out == nil {
			out = data
		}
		kp, err := ParseKeyPair(out[keyTLSCert], out[keyTLSKey])
		if err != nil {
			t.Fatalf("planned Secret has no usable serving pair: %v", err)
		}
		roots := x509.NewCertPool()
		for _, c := range parseCerts(out[keyCACert]) {
			roots.AddCert(c)
		}
		if _, err := kp.Cert.Verify(x509.VerifyOptions{Roots: roots, DNSName: "objectstore-webhook", CurrentTime: now}); err != nil {
			t.Fatalf("planned serving certificate is not trusted by the planned bundle: %v", err)
		}
	})
}
