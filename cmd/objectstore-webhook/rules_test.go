package main

import (
	"crypto/tls"
	"testing"

	"github.com/objectstore-webhook/objectstore-webhook/internal/harness/promrules"
	"github.com/objectstore-webhook/objectstore-webhook/internal/settingsctl"
	"github.com/objectstore-webhook/objectstore-webhook/webhooks/pod"
)

type noCertificate struct{}

func (noCertificate) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) { return nil, nil }
func (noCertificate) Ready() bool                                                   { return false }

// TestAlertsReadExportedMetrics fails when an alert in manifests/monitoring reads an objectstore_webhook_
// metric that `serve` does not export (its registry plus the pod webhook's failure counter, as serve wires
// them), or an injection failure reason the pod webhook never reports.
func TestAlertsReadExportedMetrics(t *testing.T) {
	reg, _, err := newRegistry(noCertificate{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pod.NewFailureCounter(reg); err != nil {
		t.Fatal(err)
	}
	if _, err := settingsctl.NewRenderCounter(reg); err != nil {
		t.Fatal(err)
	}
	problems, err := promrules.Check(reg, "objectstore_webhook_")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Error(p)
	}
}
