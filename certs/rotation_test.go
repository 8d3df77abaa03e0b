package certs

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestCARotationPublishesBothCAsBeforeTheLeafMoves(t *testing.T) {
	day := 24 * time.Hour
	clk := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	c := newFakeClient(t)
	// Leaf and CA expire together, so both fall due at the same moment: the hardest case.
	sm := newTestSM(t, c, clk, func(cfg *SelfManagedConfig) {
		cfg.CALifetime, cfg.CertLifetime, cfg.PropagationDelay = 90*day, 90*day, time.Minute
	})
	other := newTestSM(t, c, clk, func(cfg *SelfManagedConfig) {
		cfg.CALifetime, cfg.CertLifetime, cfg.PropagationDelay = 90*day, 90*day, time.Minute
	})
	ctx := context.Background()
	if err := sm.reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	if err := other.reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	oldCA := parseCerts(getSecret(t, c).Data[keyCACert])[0]
	oldLeaf := servedLeaf(t, sm)

	// Past two thirds: a new CA, published next to the old one; the old leaf is still served.
	clk.add(61 * day)
	if err := sm.reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	s := getSecret(t, c)
	cas := parseCerts(s.Data[keyCACert])
	if len(cas) != 2 || !cas[1].Equal(oldCA) || cas[0].Equal(oldCA) {
		t.Fatalf("bundle during overlap: %d CAs, want the new one then the old one", len(cas))
	}
	if !servedLeaf(t, sm).Equal(oldLeaf) {
		t.Fatal("the serving certificate moved to the new CA before the new CA was published long enough")
	}
	for i, b := range bundles(t, c, "objectstore-webhook") {
		if len(parseCerts(b)) != 2 {
			t.Fatalf("webhook %d does not trust both CAs during the overlap", i)
		}
	}
	if !sm.Ready() {
		t.Error("not ready during the overlap")
	}

	// After the propagation delay the leaf moves; the old CA stays trusted, since a replica that has not
	// re-read the Secret still serves the old leaf.
	clk.add(2 * time.Minute)
	if err := sm.reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	s = getSecret(t, c)
	newLeaf := servedLeaf(t, sm)
	if newLeaf.Equal(oldLeaf) || !signedBy(newLeaf, cas[0]) {
		t.Fatal("the serving certificate did not move to the new CA")
	}
	if got := parseCerts(s.Data[keyCACert]); len(got) != 2 {
		t.Fatalf("old CA dropped while its leaf may still be served: %d CAs", len(got))
	}
	if !servedLeaf(t, other).Equal(oldLeaf) {
		t.Fatal("the other replica changed before reading the Secret")
	}
	for i, b := range bundles(t, c, "objectstore-webhook") {
		if verifies(oldLeaf, b, "objectstore-webhook", clk.now()) != nil || verifies(newLeaf, b, "objectstore-webhook", clk.now()) != nil {
			t.Fatalf("webhook %d does not accept both the old and the new serving certificate", i)
		}
	}
	if err := other.reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	if !servedLeaf(t, other).Equal(newLeaf) {
		t.Fatal("the other replica did not pick up the rotated certificate from the Secret")
	}

	// Once the old CA has expired it leaves the Secret and the caBundles.
	clk.add(30 * day)
	if err := sm.reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	if got := parseCerts(getSecret(t, c).Data[keyCACert]); len(got) != 1 || got[0].Equal(oldCA) {
		t.Fatalf("expired CA kept: %d CAs", len(got))
	}
	for i, b := range bundles(t, c, "objectstore-webhook") {
		if got := parseCerts(b); len(got) != 1 || got[0].Equal(oldCA) {
			t.Fatalf("webhook %d still trusts the expired CA", i)
		}
	}
}

func TestLeafRenewalKeepsTheCA(t *testing.T) {
	clk := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	c := newFakeClient(t)
	sm := newTestSM(t, c, clk)
	ctx := context.Background()
	if err := sm.reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	before := getSecret(t, c)
	leaf := servedLeaf(t, sm)
	clk.add(250 * 24 * time.Hour) // past two thirds of the one-year default
	if err := sm.reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	after := getSecret(t, c)
	if string(after.Data[keyCACert]) != string(before.Data[keyCACert]) {
		t.Error("a leaf renewal changed the CA bundle")
	}
	if servedLeaf(t, sm).Equal(leaf) {
		t.Error("the serving certificate was not renewed")
	}
}

func TestGarbageAndExpiredSecretsAreReplaced(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	old, _, err := plan(nil, planParams{caName: "x", dnsNames: []string{"objectstore-webhook"}, caLifetime: time.Hour, certLifetime: time.Hour, renewBefore: RenewBefore{Fraction: 0.3}}, now.Add(-48*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]map[string][]byte{
		"garbage": {keyTLSCert: []byte("nope"), keyTLSKey: []byte("nope"), keyCACert: []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), keyCAKey: []byte("x")},
		"empty":   {},
		"expired": old,
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			existing := &corev1.Secret{
				ObjectMeta: metav1.ObjectMeta{Name: "objectstore-webhook-certs", Namespace: testNS, ResourceVersion: "1"},
				Type:       corev1.SecretTypeTLS,
				Data:       data,
			}
			c := newFakeClient(t, existing)
			sm := newTestSM(t, c, &clock{t: now})
			if err := sm.reconcile(context.Background()); err != nil {
				t.Fatal(err)
			}
			s := getSecret(t, c)
			if s.ResourceVersion == "1" {
				t.Fatal("Secret not rewritten")
			}
			if err := verifies(servedLeaf(t, sm), s.Data[keyCACert], "objectstore-webhook.objectstore-webhook-system.svc", now); err != nil {
				t.Fatalf("replacement does not verify: %v", err)
			}
			if !sm.Ready() {
				t.Error("not ready after replacing the Secret")
			}
		})
	}
}

func TestWrongSecretTypeIsReportedNotOverwritten(t *testing.T) {
	existing := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "objectstore-webhook-certs", Namespace: testNS},
		Type:       corev1.SecretTypeOpaque,
		Data:       map[string][]byte{"password": []byte("hunter2")},
	}
	c := newFakeClient(t, existing)
	sm := newTestSM(t, c, &clock{t: time.Now()})
	err := sm.reconcile(context.Background())
	if !errors.Is(err, errWrongSecretType) {
		t.Fatalf("want a wrong-type error, got %v", err)
	}
	if string(getSecret(t, c).Data["password"]) != "hunter2" {
		t.Error("a Secret of the wrong type was overwritten")
	}
	if sm.Ready() {
		t.Error("ready without a certificate")
	}
}

func TestRunRepairsAnEmptiedCABundleFromTheWatch(t *testing.T) {
	c := newFakeClient(t)
	// An interval far beyond the test: only the watch on the configurations can trigger the repair.
	sm := newTestSM(t, c, &clock{t: time.Now()}, func(cfg *SelfManagedConfig) { cfg.CheckInterval = time.Hour })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sm.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	waitFor(t, "ready", sm.Ready)

	// A GitOps re-apply of the manifest empties the caBundle of the pod webhook.
	mwc, err := c.AdmissionregistrationV1().MutatingWebhookConfigurations().Get(ctx, "objectstore-webhook", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	mwc.Webhooks[1].ClientConfig.CABundle = nil
	if _, err := c.AdmissionregistrationV1().MutatingWebhookConfigurations().Update(ctx, mwc, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "caBundle restored", func() bool {
		m, err := c.AdmissionregistrationV1().MutatingWebhookConfigurations().Get(ctx, "objectstore-webhook", metav1.GetOptions{})
		return err == nil && len(m.Webhooks[1].ClientConfig.CABundle) > 0
	})
}

// waitFor polls cond; the generous bound only stops a broken test from hanging, it asserts no duration.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for: %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestRenewBeforeFlag(t *testing.T) {
	for in, want := range map[string]RenewBefore{
		"1/3":  {Fraction: 1.0 / 3},
		"0.25": {Fraction: 0.25},
		"720h": {Duration: 720 * time.Hour},
	} {
		var r RenewBefore
		if err := r.Set(in); err != nil || r != want {
			t.Errorf("Set(%q) = %+v, %v; want %+v", in, r, err, want)
		}
	}
	for _, bad := range []string{"", "0", "1", "3/2", "1/0", "-5m", "soon"} {
		var r RenewBefore
		if err := r.Set(bad); err == nil {
			t.Errorf("Set(%q) accepted", bad)
		}
	}
}

func TestConfigRefusesNonsense(t *testing.T) {
	cfg := DefaultSelfManagedConfig()
	cfg.Namespace, cfg.ServiceName, cfg.CALifetime = "", "", 0
	_, err := NewSelfManaged(cfg, nil, logr.Discard())
	if err == nil {
		t.Fatal("nonsense configuration accepted")
	}
	for _, want := range []string{"POD_NAMESPACE", "name nothing", "lifetimes"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}
