//go:build integration

package selfmanaged

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
)

// TestManifestsServerDryRun has the API server check both overlays as `kubectl apply -k` sends them.
func TestManifestsServerDryRun(t *testing.T) {
	res := kubectl(t, dryRunInput(t, "default"), "apply", "--dry-run=server", "-f", "-")
	if res.ExitCode != 0 {
		t.Fatalf("dry-run of manifests/default exited %d: %s", res.ExitCode, res.Stderr)
	}
	for _, want := range []string{"deployment.apps/objectstore-webhook", "role.rbac.authorization.k8s.io/objectstore-webhook-certs", "poddisruptionbudget.policy/objectstore-webhook", "mutatingwebhookconfiguration.admissionregistration.k8s.io/objectstore-webhook-dry-run created"} {
		if !strings.Contains(res.Stdout, want) {
			t.Errorf("dry-run of manifests/default did not cover %s:\n%s", want, res.Stdout)
		}
	}

	installCertManagerCRDs(t)
	res = kubectl(t, dryRunInput(t, "cert-manager"), "apply", "--dry-run=server", "-f", "-")
	if res.ExitCode != 0 {
		t.Fatalf("dry-run of manifests/cert-manager exited %d: %s", res.ExitCode, res.Stderr)
	}
	for _, want := range []string{"certificate.cert-manager.io/objectstore-webhook-serving", "issuer.cert-manager.io/objectstore-webhook-ca", "validatingwebhookconfiguration.admissionregistration.k8s.io/objectstore-webhook-dry-run created"} {
		if !strings.Contains(res.Stdout, want) {
			t.Errorf("dry-run of manifests/cert-manager did not cover %s:\n%s", want, res.Stdout)
		}
	}
}

// TestMonitoringServerDryRun has the API server check manifests/monitoring against the Prometheus
// Operator's own CRDs (from its module on the proxy; make exports PROMETHEUS_OPERATOR_CRDS), with strict
// field validation, so that a misspelt field is refused instead of silently dropped.
func TestMonitoringServerDryRun(t *testing.T) {
	crds := os.Getenv("PROMETHEUS_OPERATOR_CRDS")
	if crds == "" {
		t.Fatal("PROMETHEUS_OPERATOR_CRDS is not set: run through make, or hack/tools/install.sh prometheus-operator-crds and point it at bin/crds/prometheus-operator")
	}
	// Server-side: the CRDs are too large for the last-applied annotation of a client-side apply.
	if res := kubectl(t, nil, "apply", "--server-side", "-f", crds); res.ExitCode != 0 {
		t.Fatalf("installing the Prometheus Operator CRDs exited %d: %s", res.ExitCode, res.Stderr)
	}
	if res := kubectl(t, nil, "wait", "--for=condition=Established", "--timeout=60s", "-f", crds); res.ExitCode != 0 {
		t.Fatalf("Prometheus Operator CRDs not established: %s", res.Stderr)
	}
	rendered := kubectl(t, nil, "kustomize", filepath.Join(root, "manifests", "monitoring"))
	if rendered.ExitCode != 0 {
		t.Fatalf("kubectl kustomize manifests/monitoring exited %d: %s", rendered.ExitCode, rendered.Stderr)
	}
	res := kubectl(t, []byte(rendered.Stdout), "apply", "--dry-run=server", "--validate=strict", "-f", "-")
	if res.ExitCode != 0 {
		t.Fatalf("dry-run of manifests/monitoring exited %d: %s", res.ExitCode, res.Stderr)
	}
	for _, want := range []string{"podmonitor.monitoring.coreos.com/objectstore-webhook created", "podmonitor.monitoring.coreos.com/wal-archiver created", "prometheusrule.monitoring.coreos.com/objectstore-webhook created"} {
		if !strings.Contains(res.Stdout, want) {
			t.Errorf("dry-run of manifests/monitoring did not cover %s:\n%s", want, res.Stdout)
		}
	}
	if res.Stderr != "" {
		t.Errorf("dry-run of manifests/monitoring warned: %s", res.Stderr)
	}
}

// dryRunInput renders an overlay with its webhook configurations renamed (see renameWebhookConfigs).
func dryRunInput(t *testing.T, overlay string) []byte {
	t.Helper()
	res := kubectl(t, nil, "kustomize", filepath.Join(root, "manifests", overlay))
	if res.ExitCode != 0 {
		t.Fatalf("kubectl kustomize manifests/%s exited %d: %s", overlay, res.ExitCode, res.Stderr)
	}
	return renameWebhookConfigs(t, "manifests/"+overlay, res.Stdout)
}

// renameWebhookConfigs renames the webhook configurations of a rendered install. The live ones were
// pointed at 127.0.0.1 with `url:` by the harness, and a client-side apply merges the manifest's `service:`
// next to that url, which the API server rightly refuses; under another name they are checked as a fresh
// install.
func renameWebhookConfigs(t *testing.T, what, rendered string) []byte {
	t.Helper()
	docs := strings.Split(rendered, "\n---\n")
	renamed := 0
	for i, d := range docs {
		if strings.Contains(d, "\nkind: ValidatingWebhookConfiguration\n") || strings.Contains(d, "\nkind: MutatingWebhookConfiguration\n") {
			docs[i] = strings.Replace(d, "\n  name: "+configName+"\n", "\n  name: "+configName+"-dry-run\n", 1)
			renamed++
		}
	}
	if renamed != 2 {
		t.Fatalf("%s renders %d webhook configurations, want 2", what, renamed)
	}
	return []byte(strings.Join(docs, "\n---\n"))
}

// installCertManagerCRDs installs the cert-manager CRD fixtures (idempotent: each test that needs them
// calls it, so none depends on another's order).
func installCertManagerCRDs(t *testing.T) {
	t.Helper()
	crds := filepath.Join(root, "e2e", "testdata", "cert-manager", "crds.yaml")
	if res := kubectl(t, nil, "apply", "-f", crds); res.ExitCode != 0 {
		t.Fatalf("installing the cert-manager CRD fixtures exited %d: %s", res.ExitCode, res.Stderr)
	}
	if res := kubectl(t, nil, "wait", "--for=condition=Established", "--timeout=60s", "-f", crds); res.ExitCode != 0 {
		t.Fatalf("cert-manager CRD fixtures not established: %s", res.Stderr)
	}
}

// TestChartServerDryRun has the API server check what the Helm chart renders, as `helm template |
// kubectl apply -f -` sends it, for the default values and for cert-manager mode (against cert-manager's
// CRDs), with strict field validation.
func TestChartServerDryRun(t *testing.T) {
	helm := os.Getenv("HELM")
	if helm == "" {
		t.Fatal("HELM is not set: run through make (hack/tools/tools.mk exports it), or hack/tools/install.sh helm")
	}
	installCertManagerCRDs(t)
	for _, c := range []struct {
		mode string
		want []string
	}{
		{"self-managed", []string{"deployment.apps/objectstore-webhook", "role.rbac.authorization.k8s.io/objectstore-webhook-certs", "customresourcedefinition.apiextensions.k8s.io/objectstores.barmancloud.cnpg.io", "mutatingwebhookconfiguration.admissionregistration.k8s.io/objectstore-webhook-dry-run created"}},
		{"cert-manager", []string{"certificate.cert-manager.io/objectstore-webhook-serving", "issuer.cert-manager.io/objectstore-webhook-ca", "validatingwebhookconfiguration.admissionregistration.k8s.io/objectstore-webhook-dry-run created"}},
	} {
		out, err := exec.Command(helm, "template", "objectstore-webhook", filepath.Join(root, "charts", "objectstore-webhook"),
			"--namespace", webhookNS, "--set", "certs.mode="+c.mode).Output()
		if err != nil {
			t.Fatalf("helm template (certs.mode=%s): %v", c.mode, err)
		}
		res := kubectl(t, renameWebhookConfigs(t, "the chart", string(out)), "apply", "--dry-run=server", "--validate=strict", "-f", "-")
		if res.ExitCode != 0 {
			t.Fatalf("dry-run of the chart (certs.mode=%s) exited %d: %s", c.mode, res.ExitCode, res.Stderr)
		}
		for _, want := range c.want {
			if !strings.Contains(res.Stdout, want) {
				t.Errorf("dry-run of the chart (certs.mode=%s) did not cover %s:\n%s", c.mode, want, res.Stdout)
			}
		}
	}
}

// TestServedThroughTheAPIServer: started with nothing but the shipped RBAC, the webhook creates its Secret,
// publishes its CA, and the API server then calls it over TLS it verified with that CA alone.
func TestServedThroughTheAPIServer(t *testing.T) {
	resetCerts(t)
	in := startInstance(t, cluster.WebhookPort())
	in.waitReady(t)

	s := getSecret(t)
	if s.Type != corev1.SecretTypeTLS {
		t.Errorf("Secret type %q, want %q", s.Type, corev1.SecretTypeTLS)
	}
	if n := len(pemCerts(s.Data["ca.crt"])); n != 1 {
		t.Errorf("%d CAs in a fresh Secret, want 1", n)
	}
	for i, b := range caBundles(t) {
		if !bytes.Equal(b, s.Data["ca.crt"]) {
			t.Errorf("webhook %d: caBundle is not the Secret's ca.crt", i)
		}
	}
	checkServes(t, in.port, s)

	ns := namespace(t)
	if res := kubectl(t, nil, "apply", "-n", ns, "-f", filepath.Join(root, "examples", "s3-keys.yaml")); res.ExitCode != 0 {
		t.Fatalf("a valid ObjectStore was not admitted (exit %d): %s", res.ExitCode, res.Stderr)
	}
	// A refusal in the webhook's words proves the call got through: the CRD schema accepts this bucket
	// name, and a TLS failure would read "failed calling webhook".
	res := kubectl(t, []byte(objectStore("refused", "s3://bucket_with_underscores/x")), "apply", "-n", ns, "-f", "-")
	if res.ExitCode == 0 || !strings.Contains(res.Stderr, "the bucket name is invalid") || strings.Contains(res.Stderr, "failed calling webhook") {
		t.Fatalf("an invalid ObjectStore was not refused by the webhook (exit %d): %s", res.ExitCode, res.Stderr)
	}
}

// TestTwoStartersEndWithOneCA starts two replicas at once against no Secret, a few times over.
func TestTwoStartersEndWithOneCA(t *testing.T) {
	for round := 0; round < 3; round++ {
		t.Run("round"+strconv.Itoa(round), func(t *testing.T) {
			resetCerts(t)
			a, b := startInstance(t, cluster.WebhookPort()), startInstance(t, 0)
			a.waitReady(t)
			b.waitReady(t)
			s := getSecret(t)
			if n := len(pemCerts(s.Data["ca.crt"])); n != 1 {
				t.Fatalf("%d CAs after two replicas started together, want 1", n)
			}
			checkServes(t, a.port, s)
			checkServes(t, b.port, s)
			for i, bundle := range caBundles(t) {
				if !bytes.Equal(bundle, s.Data["ca.crt"]) {
					t.Errorf("webhook %d: caBundle is not the one CA", i)
				}
			}
		})
	}
}

var objectStores = schema.GroupVersionResource{Group: "barmancloud.cnpg.io", Version: "v1", Resource: "objectstores"}

// TestRotationUnderLoad runs two replicas with lifetimes of seconds and sends ObjectStore admissions through
// the API server (client-go and kubectl) until the CA has rotated twice and the leaf has moved to the
// third CA. Not one admission may fail.
func TestRotationUnderLoad(t *testing.T) {
	resetCerts(t)
	fast := []string{"--ca-lifetime=12s", "--cert-lifetime=6s", "--renew-before=1/2", "--cert-check-interval=200ms", "--ca-propagation-delay=1s"}
	a, b := startInstance(t, cluster.WebhookPort(), fast...), startInstance(t, 0, fast...)
	a.waitReady(t)
	b.waitReady(t)
	ns := namespace(t)
	if res := kubectl(t, nil, "apply", "-n", ns, "-f", filepath.Join(root, "examples", "s3-keys.yaml")); res.ExitCode != 0 {
		t.Fatalf("setup apply failed: %s", res.Stderr)
	}
	dyn, err := dynamic.NewForConfig(cluster.RESTConfig())
	if err != nil {
		t.Fatal(err)
	}

	var sent, failed atomic.Int64
	var errMu sync.Mutex
	var firstErrs []string
	fail := func(what string) {
		failed.Add(1)
		errMu.Lock()
		if len(firstErrs) < 5 {
			firstErrs = append(firstErrs, what)
		}
		errMu.Unlock()
	}
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { // client-go: server-side dry-run creates, each one an admission call
		defer wg.Done()
		for i := 0; ctx.Err() == nil; i++ {
			u := &unstructured.Unstructured{}
			if err := u.UnmarshalJSON([]byte(objectStore("load-"+strconv.Itoa(i), "s3://example-pg-backups/load"))); err != nil {
				fail(err.Error())
				return
			}
			_, err := dyn.Resource(objectStores).Namespace(ns).Create(context.Background(), u, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
			sent.Add(1)
			if err != nil {
				fail("client-go: " + err.Error())
			}
		}
	}()
	go func() { // kubectl apply, as users and GitOps tools send them
		defer wg.Done()
		for i := 0; ctx.Err() == nil; i++ {
			manifest := objectStore("kubectl-"+strconv.Itoa(i%5), fmt.Sprintf("s3://example-pg-backups/k%d", i))
			res, err := cluster.KubectlWithInput(context.Background(), []byte(manifest), "apply", "-n", ns, "-f", "-")
			sent.Add(1)
			if err != nil || res.ExitCode != 0 {
				fail(fmt.Sprintf("kubectl: %v %s", err, res.Stderr))
			}
		}
	}()

	// Watch the Secret until two CA rotations have happened and the leaf is signed by the third CA.
	cas := map[string]bool{}
	var order []string
	leaves := map[string]bool{}
	deadline := time.Now().Add(3 * time.Minute)
	done := false
	for !done && time.Now().Before(deadline) {
		s := getSecret(t)
		bundle := pemCerts(s.Data["ca.crt"])
		leafBlock, _ := pem.Decode(s.Data["tls.crt"])
		if len(bundle) > 0 && leafBlock != nil {
			cur := string(bundle[0].Raw)
			if !cas[cur] {
				cas[cur] = true
				order = append(order, cur)
			}
			leaf, err := x509.ParseCertificate(leafBlock.Bytes)
			if err == nil {
				leaves[leaf.SerialNumber.String()] = true
				done = len(order) >= 3 && leaf.CheckSignatureFrom(bundle[0]) == nil && bundle[0].Equal(certOf(order[2]))
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	stop()
	wg.Wait()
	t.Logf("%d admissions sent, %d failed; %d CAs (%d rotations), %d serving certificates", sent.Load(), failed.Load(), len(order), len(order)-1, len(leaves))
	if !done {
		t.Fatalf("the CA did not rotate twice with the leaf following within the run: %d CAs seen", len(order))
	}
	if sent.Load() == 0 {
		t.Fatal("no admission was sent")
	}
	if failed.Load() != 0 {
		t.Fatalf("%d of %d admissions failed during rotation; first: %s", failed.Load(), sent.Load(), strings.Join(firstErrs, "\n"))
	}
}

func certOf(raw string) *x509.Certificate {
	c, _ := x509.ParseCertificate([]byte(raw))
	return c
}

// resetCerts removes the Secret and empties every caBundle, so that a test starts from a fresh install and
// only a CA the webhook publishes can make the API server trust it.
func resetCerts(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	err := admin.CoreV1().Secrets(webhookNS).Delete(ctx, secretName, metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		t.Fatal(err)
	}
	arv1 := admin.AdmissionregistrationV1()
	vwc, err := arv1.ValidatingWebhookConfigurations().Get(ctx, configName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range vwc.Webhooks {
		vwc.Webhooks[i].ClientConfig.CABundle = nil
	}
	if _, err := arv1.ValidatingWebhookConfigurations().Update(ctx, vwc, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	mwc, err := arv1.MutatingWebhookConfigurations().Get(ctx, configName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range mwc.Webhooks {
		mwc.Webhooks[i].ClientConfig.CABundle = nil
	}
	if _, err := arv1.MutatingWebhookConfigurations().Update(ctx, mwc, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func getSecret(t *testing.T) *corev1.Secret {
	t.Helper()
	s, err := admin.CoreV1().Secrets(webhookNS).Get(context.Background(), secretName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func caBundles(t *testing.T) [][]byte {
	t.Helper()
	ctx := context.Background()
	var out [][]byte
	vwc, err := admin.AdmissionregistrationV1().ValidatingWebhookConfigurations().Get(ctx, configName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range vwc.Webhooks {
		out = append(out, w.ClientConfig.CABundle)
	}
	mwc, err := admin.AdmissionregistrationV1().MutatingWebhookConfigurations().Get(ctx, configName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range mwc.Webhooks {
		out = append(out, w.ClientConfig.CABundle)
	}
	return out
}

// checkServes dials the instance as the API server would: verifying 127.0.0.1 against the Secret's CAs.
func checkServes(t *testing.T, port int, s *corev1.Secret) {
	t.Helper()
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(s.Data["ca.crt"])
	conn, err := tls.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port), &tls.Config{RootCAs: roots, ServerName: "127.0.0.1"})
	if err != nil {
		t.Fatalf("TLS to the webhook on port %d with the Secret's CA: %v", port, err)
	}
	defer conn.Close()
	served := conn.ConnectionState().PeerCertificates[0]
	if !bytes.Equal(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: served.Raw}), s.Data["tls.crt"]) {
		t.Errorf("the webhook on port %d serves a certificate other than the Secret's", port)
	}
}

func pemCerts(data []byte) []*x509.Certificate {
	var out []*x509.Certificate
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return out
		}
		if c, err := x509.ParseCertificate(b.Bytes); err == nil {
			out = append(out, c)
		}
	}
}

var nsCount atomic.Int64

func namespace(t *testing.T) string {
	t.Helper()
	name := "sm-" + strconv.FormatInt(nsCount.Add(1), 10)
	_, err := admin.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return name
}

// objectStore is an ObjectStore using the credentials Secret of examples/s3-keys.yaml.
func objectStore(name, dest string) string {
	return fmt.Sprintf(`{"apiVersion":"barmancloud.cnpg.io/v1","kind":"ObjectStore","metadata":{"name":%q},
"spec":{"configuration":{"destinationPath":%q,"s3Credentials":{
"accessKeyId":{"name":"s3-keys-credentials","key":"ACCESS_KEY_ID"},
"secretAccessKey":{"name":"s3-keys-credentials","key":"ACCESS_SECRET_KEY"},
"region":{"name":"s3-keys-credentials","key":"REGION"}}}}}`, name, dest)
}
