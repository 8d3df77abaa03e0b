package certs

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-logr/logr"
)

func TestCertManagerReadyOnlyWhenTheMountedCATrustsTheLeaf(t *testing.T) {
	now := time.Now()
	ca, err := NewCA("cert-manager-ca", 24*time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := IssueServing(ca, []string{"objectstore-webhook.objectstore-webhook-system.svc"}, nil, time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := NewCA("another-ca", 24*time.Hour, now)
	write := func(dir, name string, data []byte) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for name, tc := range map[string]struct {
		caPEM []byte
		ready bool
	}{
		"issuing CA mounted": {ca.CertPEM, true},
		"another CA mounted": {other.CertPEM, false},
		"no ca.crt":          {nil, false},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			write(dir, "tls.crt", leaf.CertPEM)
			write(dir, "tls.key", leaf.KeyPEM)
			if tc.caPEM != nil {
				write(dir, "ca.crt", tc.caPEM)
			}
			cm, err := NewCertManager(dir, logr.Discard())
			if err != nil {
				t.Fatal(err)
			}
			if _, err := cm.GetCertificate(nil); err != nil {
				t.Fatalf("pair not served: %v", err)
			}
			if got := cm.Ready(); got != tc.ready {
				t.Errorf("Ready() = %v, want %v", got, tc.ready)
			}
		})
	}
}
