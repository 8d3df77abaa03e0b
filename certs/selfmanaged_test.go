package certs

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

const testNS = "objectstore-webhook-system"

var secretsGVR = schema.GroupVersionResource{Version: "v1", Resource: "secrets"}

// clock is a settable time source shared by the instances of a test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// newFakeClient is a fake clientset holding our two labelled webhook configurations and somebody else's
// unlabelled one, with resourceVersion checks on Secrets the way the API server does them.
func newFakeClient(t *testing.T, objs ...runtime.Object) *fake.Clientset {
	t.Helper()
	labelled := map[string]string{InjectCALabel: "true", "app.kubernetes.io/name": "objectstore-webhook"}
	timeout := int32(5)
	vwc := &admissionregistrationv1.ValidatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: "objectstore-webhook", Labels: labelled, Annotations: map[string]string{"team": "dba"}},
		Webhooks: []admissionregistrationv1.ValidatingWebhook{
			{Name: "objectstores.objectstore-webhook.io", TimeoutSeconds: &timeout},
			{Name: "clusters.validate.objectstore-webhook.io"},
		},
	}
	mwc := &admissionregistrationv1.MutatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: "objectstore-webhook", Labels: labelled},
		Webhooks: []admissionregistrationv1.MutatingWebhook{
			{Name: "clusters.mutate.objectstore-webhook.io"},
			{Name: "pods.objectstore-webhook.io", TimeoutSeconds: &timeout},
		},
	}
	other := &admissionregistrationv1.ValidatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: "someone-else", Labels: map[string]string{"app.kubernetes.io/name": "objectstore-webhook"}},
		Webhooks:   []admissionregistrationv1.ValidatingWebhook{{Name: "else.example.com", ClientConfig: admissionregistrationv1.WebhookClientConfig{CABundle: []byte("theirs")}}},
	}
	c := fake.NewClientset(append([]runtime.Object{vwc, mwc, other}, objs...)...)
	var mu sync.Mutex
	rv := 100
	c.PrependReactor("create", "secrets", func(a k8stesting.Action) (bool, runtime.Object, error) {
		mu.Lock()
		defer mu.Unlock()
		rv++
		a.(k8stesting.CreateAction).GetObject().(*corev1.Secret).ResourceVersion = strconv.Itoa(rv)
		return false, nil, nil
	})
	c.PrependReactor("update", "secrets", func(a k8stesting.Action) (bool, runtime.Object, error) {
		mu.Lock()
		defer mu.Unlock()
		obj := a.(k8stesting.UpdateAction).GetObject().(*corev1.Secret)
		cur, err := c.Tracker().Get(secretsGVR, obj.Namespace, obj.Name)
		if err != nil {
			return true, nil, err
		}
		if cur.(*corev1.Secret).ResourceVersion != obj.ResourceVersion {
			return true, nil, apierrors.NewConflict(schema.GroupResource{Resource: "secrets"}, obj.Name, nil)
		}
		rv++
		obj.ResourceVersion = strconv.Itoa(rv)
		return false, nil, nil
	})
	return c
}

func newTestSM(t *testing.T, c *fake.Clientset, clk *clock, mutate ...func(*SelfManagedConfig)) *SelfManaged {
	t.Helper()
	cfg := DefaultSelfManagedConfig()
	cfg.Namespace = testNS
	cfg.IPs = []net.IP{net.IPv4(127, 0, 0, 1)}
	cfg.now = clk.now
	for _, m := range mutate {
		m(&cfg)
	}
	sm, err := NewSelfManaged(cfg, c, logr.Discard())
	if err != nil {
		t.Fatal(err)
	}
	return sm
}

func getSecret(t *testing.T, c *fake.Clientset) *corev1.Secret {
	t.Helper()
	s, err := c.CoreV1().Secrets(testNS).Get(context.Background(), "objectstore-webhook-certs", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// bundles returns the caBundle of every webhook in the named configuration.
func bundles(t *testing.T, c *fake.Clientset, name string) [][]byte {
	t.Helper()
	ctx := context.Background()
	var out [][]byte
	v, err := c.AdmissionregistrationV1().ValidatingWebhookConfigurations().Get(ctx, name, metav1.GetOptions{})
	if err == nil {
		for _, w := range v.Webhooks {
			out = append(out, w.ClientConfig.CABundle)
		}
	}
	m, err := c.AdmissionregistrationV1().MutatingWebhookConfigurations().Get(ctx, name, metav1.GetOptions{})
	if err == nil {
		for _, w := range m.Webhooks {
			out = append(out, w.ClientConfig.CABundle)
		}
	}
	return out
}

func servedLeaf(t *testing.T, sm *SelfManaged) *x509.Certificate {
	t.Helper()
	c, err := sm.GetCertificate(&tls.ClientHelloInfo{})
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(c.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	return leaf
}

func verifies(leaf *x509.Certificate, bundle []byte, name string, now time.Time) error {
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(bundle)
	_, err := leaf.Verify(x509.VerifyOptions{Roots: roots, DNSName: name, CurrentTime: now})
	return err
}

func TestCreatesSecretAndPublishesOnlyToLabelledConfigurations(t *testing.T) {
	clk := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	c := newFakeClient(t)
	sm := newTestSM(t, c, clk)
	if sm.Ready() {
		t.Fatal("ready before anything was issued")
	}
	if _, err := sm.GetCertificate(&tls.ClientHelloInfo{}); err == nil {
		t.Fatal("a certificate was served before one was issued")
	}
	if err := sm.reconcile(context.Background()); err != nil {
		t.Fatal(err)
	}
	s := getSecret(t, c)
	if s.Type != corev1.SecretTypeTLS {
		t.Errorf("Secret type %q, want %q", s.Type, corev1.SecretTypeTLS)
	}
	for _, k := range []string{keyTLSCert, keyTLSKey, keyCACert, keyCAKey} {
		if len(s.Data[k]) == 0 {
			t.Errorf("Secret lacks %s", k)
		}
	}
	leaf := servedLeaf(t, sm)
	for _, name := range []string{
		"objectstore-webhook.objectstore-webhook-system.svc",
		"objectstore-webhook.objectstore-webhook-system.svc.cluster.local",
		"objectstore-webhook.objectstore-webhook-system",
		"objectstore-webhook",
		"127.0.0.1",
	} {
		if err := verifies(leaf, s.Data[keyCACert], name, clk.now()); err != nil {
			t.Errorf("served certificate does not verify for %s: %v", name, err)
		}
	}
	got := bundles(t, c, "objectstore-webhook")
	if len(got) != 4 {
		t.Fatalf("found %d webhooks in our configurations, want 4", len(got))
	}
	for i, b := range got {
		if string(b) != string(s.Data[keyCACert]) {
			t.Errorf("webhook %d caBundle is not the Secret's ca.crt", i)
		}
	}
	if other := bundles(t, c, "someone-else"); len(other) != 1 || string(other[0]) != "theirs" {
		t.Errorf("an unlabelled configuration was touched: %q", other)
	}
	vwc, _ := c.AdmissionregistrationV1().ValidatingWebhookConfigurations().Get(context.Background(), "objectstore-webhook", metav1.GetOptions{})
	if vwc.Annotations["team"] != "dba" || vwc.Webhooks[0].TimeoutSeconds == nil || *vwc.Webhooks[0].TimeoutSeconds != 5 {
		t.Errorf("patching the caBundle lost other fields: %+v", vwc)
	}
	if !sm.Ready() {
		t.Error("not ready after the certificate was served and the CA published")
	}

	// A second pass changes nothing: no Secret write, no patch.
	rv := s.ResourceVersion
	c.ClearActions()
	if err := sm.reconcile(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, a := range c.Actions() {
		if a.GetVerb() != "get" && a.GetVerb() != "list" {
			t.Errorf("steady state wrote something: %s %s", a.GetVerb(), a.GetResource().Resource)
		}
	}
	if getSecret(t, c).ResourceVersion != rv {
		t.Error("steady state rewrote the Secret")
	}
}

func TestReadinessFollowsPublication(t *testing.T) {
	clk := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	c := newFakeClient(t)
	sm := newTestSM(t, c, clk, func(cfg *SelfManagedConfig) { cfg.WebhookSelector = "not-there=true" })
	ctx := context.Background()
	if err := sm.reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := sm.GetCertificate(nil); err != nil {
		t.Fatalf("certificate not served: %v", err)
	}
	if sm.Ready() {
		t.Fatal("ready although no webhook configuration trusts the CA")
	}
	// The configuration appears (applied after the Deployment): the next pass publishes and turns ready.
	vwc := &admissionregistrationv1.ValidatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: "late", Labels: map[string]string{"not-there": "true"}},
		Webhooks:   []admissionregistrationv1.ValidatingWebhook{{Name: "late.example.com"}},
	}
	if _, err := c.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(ctx, vwc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := sm.reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	if !sm.Ready() {
		t.Fatal("not ready after the CA was published")
	}
	// Publishing fails (RBAC removed): the error names the configuration, and readiness keeps its last
	// known state, because every replica would hit the same API error and all leaving the Service at once
	// turns a repairable fault into an outage.
	c.PrependReactor("patch", "validatingwebhookconfigurations", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "validatingwebhookconfigurations"}, "late", nil)
	})
	vwc, _ = c.AdmissionregistrationV1().ValidatingWebhookConfigurations().Get(ctx, "late", metav1.GetOptions{})
	vwc.Webhooks[0].ClientConfig.CABundle = nil
	if _, err := c.AdmissionregistrationV1().ValidatingWebhookConfigurations().Update(ctx, vwc, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := sm.reconcile(ctx); err == nil || !strings.Contains(err.Error(), "late") {
		t.Fatalf("a failed caBundle patch was not reported by name: %v", err)
	}
	if !sm.Ready() {
		t.Error("an API error flipped readiness")
	}
}

func TestRacingStartersAgreeOnOneCA(t *testing.T) {
	clk := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	c := newFakeClient(t)
	a, b := newTestSM(t, c, clk), newTestSM(t, c, clk)

	// B's create lands between A's read and A's create: A gets AlreadyExists and must adopt B's Secret.
	raced := false
	c.PrependReactor("create", "secrets", func(k8stesting.Action) (bool, runtime.Object, error) {
		if raced {
			return false, nil, nil
		}
		raced = true
		data, _, err := plan(nil, b.planParams(context.Background(), clk.now()), clk.now())
		if err != nil {
			t.Fatal(err)
		}
		won := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "objectstore-webhook-certs", Namespace: testNS, ResourceVersion: "7"}, Type: corev1.SecretTypeTLS, Data: data}
		if err := c.Tracker().Add(won); err != nil {
			t.Fatal(err)
		}
		return true, nil, apierrors.NewAlreadyExists(schema.GroupResource{Resource: "secrets"}, won.Name)
	})
	if err := a.reconcile(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !raced {
		t.Fatal("the create race was not exercised")
	}
	s := getSecret(t, c)
	if s.ResourceVersion != "7" {
		t.Errorf("A overwrote the winner's Secret (resourceVersion %s)", s.ResourceVersion)
	}
	if err := verifies(servedLeaf(t, a), s.Data[keyCACert], "objectstore-webhook", clk.now()); err != nil {
		t.Errorf("A does not serve the winner's certificate: %v", err)
	}

	// Both together, many times over, on fresh clusters: one CA at the end, both serving under it.
	for i := 0; i < 20; i++ {
		c := newFakeClient(t)
		a, b := newTestSM(t, c, clk), newTestSM(t, c, clk)
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for j, sm := range []*SelfManaged{a, b} {
			wg.Add(1)
			go func() { defer wg.Done(); errs[j] = sm.reconcile(context.Background()) }()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		// The loser of a patch race may need the next pass to see the final state.
		_ = a.reconcile(context.Background())
		_ = b.reconcile(context.Background())
		s := getSecret(t, c)
		if n := len(parseCerts(s.Data[keyCACert])); n != 1 {
			t.Fatalf("round %d: %d CAs in the bundle, want 1", i, n)
		}
		for _, sm := range []*SelfManaged{a, b} {
			if err := verifies(servedLeaf(t, sm), s.Data[keyCACert], "objectstore-webhook", clk.now()); err != nil {
				t.Fatalf("round %d: a replica serves a certificate outside the one CA: %v", i, err)
			}
		}
		for _, bundle := range bundles(t, c, "objectstore-webhook") {
			if string(bundle) != string(s.Data[keyCACert]) {
				t.Fatalf("round %d: a caBundle differs from the Secret's CA", i)
			}
		}
	}
}

func TestUpdateConflictRereadsTheWinner(t *testing.T) {
	clk := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	c := newFakeClient(t)
	a, b := newTestSM(t, c, clk), newTestSM(t, c, clk)
	ctx := context.Background()
	if err := a.reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	// The leaf becomes due; B rotates it between A's read and A's update.
	clk.add(300 * 24 * time.Hour)
	conflicts := 0
	c.PrependReactor("update", "secrets", func(k8stesting.Action) (bool, runtime.Object, error) {
		if conflicts > 0 {
			return false, nil, nil
		}
		conflicts++
		cur, _ := c.Tracker().Get(secretsGVR, testNS, "objectstore-webhook-certs")
		s := cur.(*corev1.Secret).DeepCopy()
		s.Data, _, _ = plan(s.Data, b.planParams(ctx, clk.now()), clk.now())
		s.ResourceVersion = "9999"
		if err := c.Tracker().Update(secretsGVR, s, testNS); err != nil {
			t.Fatal(err)
		}
		return true, nil, apierrors.NewConflict(schema.GroupResource{Resource: "secrets"}, s.Name, nil)
	})
	if err := a.reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	s := getSecret(t, c)
	if conflicts != 1 || s.ResourceVersion != "9999" {
		t.Fatalf("conflict path not taken as expected (conflicts %d, resourceVersion %s)", conflicts, s.ResourceVersion)
	}
	if !servedLeaf(t, a).Equal(mustLeaf(t, s)) {
		t.Error("after the conflict A does not serve the winner's certificate")
	}
}

func mustLeaf(t *testing.T, s *corev1.Secret) *x509.Certificate {
	t.Helper()
	kp, err := ParseKeyPair(s.Data[keyTLSCert], s.Data[keyTLSKey])
	if err != nil {
		t.Fatal(err)
	}
	return kp.Cert
}
