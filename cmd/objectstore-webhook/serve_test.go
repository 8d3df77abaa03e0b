package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"

	"github.com/objectstore-webhook/objectstore-webhook/certs"
	"github.com/objectstore-webhook/objectstore-webhook/webhooks/admission"
)

// syncBuffer collects the server's log lines from several goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// running is a serve started in-process.
type running struct {
	webhook, metrics string
	exit             chan int
	log              *syncBuffer
}

func startServe(t *testing.T, args []string, hooks serveHooks) *running {
	t.Helper()
	r := &running{exit: make(chan int, 1), log: &syncBuffer{}}
	addrs := make(chan [2]string, 1)
	hooks.listening = func(w, m net.Addr) { addrs <- [2]string{w.String(), m.String()} }
	go func() { r.exit <- serveMain(args, r.log, hooks) }()
	select {
	case a := <-addrs:
		r.webhook, r.metrics = a[0], a[1]
	case code := <-r.exit:
		t.Fatalf("serve exited with %d before listening:\n%s", code, r.log)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log:\n%s", r.log)
		}
	})
	return r
}

// eventually polls cond until it holds or a generous deadline passes; it asserts an outcome, not a speed.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func probe(t *testing.T, r *running, path string) (int, string) {
	t.Helper()
	resp, err := http.Get("http://" + r.metrics + path)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func issue(t *testing.T, ca *certs.KeyPair) *certs.KeyPair {
	t.Helper()
	leaf, err := certs.IssueServing(ca, []string{"objectstore-webhook.test.svc"}, []net.IP{net.IPv4(127, 0, 0, 1)}, time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return leaf
}

// writePair replaces tls.crt and tls.key, each by an atomic rename, as an operator's tooling would.
func writePair(t *testing.T, dir string, kp *certs.KeyPair) {
	t.Helper()
	for name, data := range map[string][]byte{"tls.key": kp.KeyPEM, "tls.crt": kp.CertPEM} {
		tmp := filepath.Join(dir, "."+name+".tmp")
		if err := os.WriteFile(tmp, data, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
}

// handshake opens a new TLS connection and returns the certificate the server presented.
func handshake(addr string, cfg *tls.Config) (*tls.ConnectionState, error) {
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, cfg)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	st := conn.ConnectionState()
	return &st, nil
}

func trusting(cas ...*certs.KeyPair) *tls.Config {
	pool := x509.NewCertPool()
	for _, ca := range cas {
		pool.AddCert(ca.Cert)
	}
	return &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}
}

const storeObject = `{"apiVersion":"barmancloud.cnpg.io/v1","kind":"ObjectStore","metadata":{"name":"backups","namespace":"db"},
"spec":{"configuration":{"destinationPath":"%s","s3Credentials":{"accessKeyId":{"name":"aws","key":"ID"},"secretAccessKey":{"name":"aws","key":"KEY"}}}}}`

func review(uid, path, resource, object string) []byte {
	group, version := "barmancloud.cnpg.io", "v1"
	kind := "ObjectStore"
	if resource == "things" {
		group, kind = "test.objectstore-webhook.io", "Thing"
	}
	return []byte(fmt.Sprintf(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":%q,
"kind":{"group":%q,"version":%q,"kind":%q},"resource":{"group":%q,"version":%q,"resource":%q},
"name":"backups","namespace":"db","operation":"CREATE","userInfo":{"username":"alice"},"object":%s}}`,
		uid, group, version, kind, group, version, resource, object))
}

func postReview(client *http.Client, addr, path string, body []byte) (*admissionv1.AdmissionReview, error) {
	resp, err := client.Post("https://"+addr+path+"?timeout=10s", "application/json", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return nil, fmt.Errorf("HTTP %d: %s", resp.StatusCode, b)
	}
	out := &admissionv1.AdmissionReview{}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return nil, err
	}
	return out, nil
}

func httpsClient(cfg *tls.Config) *http.Client {
	return &http.Client{Transport: &http.Transport{TLSClientConfig: cfg, DisableKeepAlives: true}, Timeout: 60 * time.Second}
}

// slowHandler holds each review until released, so that a test can have one in flight at will.
type slowHandler struct {
	started chan struct{}
	release chan struct{}
}

func (h *slowHandler) Admit(ctx context.Context, _ *admissionv1.AdmissionRequest) admission.Result {
	h.started <- struct{}{}
	select {
	case <-h.release:
		return admission.Result{Warnings: []string{"answered after the drain began"}}
	case <-ctx.Done():
		return admission.Result{Err: ctx.Err()}
	}
}

func TestServeRotatesCertificatesAndDrains(t *testing.T) {
	dir := t.TempDir()
	slow := &slowHandler{started: make(chan struct{}, 1), release: make(chan struct{})}
	r := startServe(t, []string{
		"--port=0", "--bind-address=127.0.0.1", "--metrics-addr=127.0.0.1:0", "--cert-dir=" + dir,
		"--webhooks=objectstores", "--secret-checks=off", "--log-level=debug", "--shutdown-grace=1m",
	}, serveHooks{routes: []admission.Route{{
		Path: "/validate/things", Resource: schema.GroupVersionResource{Group: "test.objectstore-webhook.io", Version: "v1", Resource: "things"},
		Handler: slow,
	}}})

	// No certificate yet: alive, not ready, and no handshake succeeds.
	if code, _ := probe(t, r, "/healthz"); code != 200 {
		t.Fatalf("/healthz = %d, want 200", code)
	}
	if code, body := probe(t, r, "/readyz"); code != 503 || !strings.Contains(body, "no serving certificate") {
		t.Fatalf("/readyz before a certificate = %d %q, want 503", code, body)
	}
	ca1, _ := certs.NewCA("ca-1", 24*time.Hour, time.Now())
	ca2, _ := certs.NewCA("ca-2", 24*time.Hour, time.Now())
	if _, err := handshake(r.webhook, trusting(ca1)); err == nil {
		t.Fatal("handshake succeeded without a certificate")
	}

	first := issue(t, ca1)
	writePair(t, dir, first)
	eventually(t, "/readyz to turn ready", func() bool { code, _ := probe(t, r, "/readyz"); return code == 200 })

	client := httpsClient(trusting(ca1, ca2))
	out, err := postReview(client, r.webhook, "/validate/objectstores", review("uid-1", "", "objectstores", fmt.Sprintf(storeObject, "s3://backups/db")))
	if err != nil {
		t.Fatal(err)
	}
	if out.Response.UID != "uid-1" || !out.Response.Allowed || out.APIVersion != "admission.k8s.io/v1" || out.Kind != "AdmissionReview" {
		t.Fatalf("valid store: %+v", out)
	}
	out, err = postReview(client, r.webhook, "/validate/objectstores", review("uid-2", "", "objectstores", fmt.Sprintf(storeObject, "ftp://backups/db")))
	if err != nil {
		t.Fatal(err)
	}
	if st := out.Response.Result; out.Response.Allowed || st == nil || st.Code != 422 || len(st.Details.Causes) == 0 {
		t.Fatalf("invalid store: %+v", out.Response)
	}
	if !strings.Contains(r.log.String(), `"msg":"admission denied"`) || !strings.Contains(r.log.String(), "spec.configuration.destinationPath") {
		t.Errorf("denial not logged with its field path:\n%s", r.log)
	}

	// Replace the files: a new handshake sees the new certificate, with no restart.
	second := issue(t, ca2)
	writePair(t, dir, second)
	eventually(t, "the replaced certificate to be served", func() bool {
		st, err := handshake(r.webhook, trusting(ca2))
		return err == nil && st.PeerCertificates[0].SerialNumber.Cmp(second.Cert.SerialNumber) == 0
	})
	if _, err := postReview(httpsClient(trusting(ca2)), r.webhook, "/validate/objectstores", review("uid-3", "", "objectstores", fmt.Sprintf(storeObject, "s3://backups/db"))); err != nil {
		t.Fatalf("review over the new certificate: %v", err)
	}

	// TLS 1.1 is refused; HTTP/2 is not negotiated unless asked for.
	old := trusting(ca2)
	old.MinVersion, old.MaxVersion = tls.VersionTLS10, tls.VersionTLS11
	if _, err := handshake(r.webhook, old); err == nil {
		t.Error("a TLS 1.1 client completed a handshake")
	}
	h2 := trusting(ca2)
	h2.NextProtos = []string{"h2", "http/1.1"}
	if st, err := handshake(r.webhook, h2); err != nil || st.NegotiatedProtocol == "h2" {
		t.Errorf("ALPN: %v, negotiated %q; want http/1.1", err, st.NegotiatedProtocol)
	}

	_, metrics := probe(t, r, "/metrics")
	for _, want := range []string{
		`objectstore_webhook_admission_requests_total{operation="CREATE",resource="objectstores",verdict="allowed",webhook="/validate/objectstores"} 2`,
		`objectstore_webhook_admission_requests_total{operation="CREATE",resource="objectstores",verdict="denied",webhook="/validate/objectstores"} 1`,
		`objectstore_webhook_admission_duration_seconds_bucket{webhook="/validate/objectstores",le="2.5e-05"}`,
		`objectstore_webhook_certificate_ready 1`,
		fmt.Sprintf(`objectstore_webhook_certificate_expiry_timestamp_seconds %g`, float64(second.Cert.NotAfter.Unix())),
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}

	// SIGTERM with a review in flight: not ready, no new connections, the review still answered, exit 0.
	type result struct {
		out *admissionv1.AdmissionReview
		err error
	}
	inflight := make(chan result, 1)
	go func() {
		out, err := postReview(httpsClient(trusting(ca2)), r.webhook, "/validate/things", review("uid-slow", "", "things", `{}`))
		inflight <- result{out, err}
	}()
	<-slow.started
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	eventually(t, "/readyz to report the drain", func() bool {
		code, body := probe(t, r, "/readyz")
		return code == 503 && strings.Contains(body, "shutting down")
	})
	eventually(t, "the webhook port to stop accepting", func() bool {
		c, err := net.DialTimeout("tcp", r.webhook, time.Second)
		if err == nil {
			c.Close()
		}
		return err != nil
	})
	select {
	case code := <-r.exit:
		t.Fatalf("serve exited with %d while a review was in flight", code)
	default:
	}
	close(slow.release)
	res := <-inflight
	if res.err != nil || res.out.Response.UID != "uid-slow" || !res.out.Response.Allowed {
		t.Fatalf("in-flight review: %v %+v", res.err, res.out)
	}
	if code := <-r.exit; code != 0 {
		t.Fatalf("serve exited with %d after a clean drain, want 0", code)
	}
}

func TestServeOffersHTTP2OnlyWhenAsked(t *testing.T) {
	dir := t.TempDir()
	ca, _ := certs.NewCA("ca", time.Hour, time.Now())
	writePair(t, dir, issue(t, ca))
	r := startServe(t, []string{"--port=0", "--bind-address=127.0.0.1", "--metrics-addr=127.0.0.1:0",
		"--cert-dir=" + dir, "--webhooks=objectstores", "--secret-checks=off", "--http2", "--tls-min-version=1.3"}, serveHooks{})
	cfg := trusting(ca)
	cfg.NextProtos = []string{"h2", "http/1.1"}
	st, err := handshake(r.webhook, cfg)
	if err != nil || st.NegotiatedProtocol != "h2" || st.Version != tls.VersionTLS13 {
		t.Errorf("handshake: %v; want h2 over TLS 1.3", err)
	}
	tls12 := trusting(ca)
	tls12.MaxVersion = tls.VersionTLS12
	if _, err := handshake(r.webhook, tls12); err == nil {
		t.Error("a TLS 1.2 client was accepted with --tls-min-version=1.3")
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if code := <-r.exit; code != 0 {
		t.Errorf("exit %d after SIGINT, want 0", code)
	}
}

func TestServeRefusesBadFlags(t *testing.T) {
	for name, tc := range map[string]struct {
		args []string
		says string
	}{
		"TLS 1.1":           {[]string{"--tls-min-version=1.1"}, "TLS below 1.2"},
		"unknown mode":      {[]string{"--cert-mode=vault"}, `--cert-mode "vault"`},
		"secret checks":     {[]string{"--secret-checks=maybe"}, "deny, warn or off"},
		"log level":         {[]string{"--log-level=loud"}, "--log-level"},
		"log format":        {[]string{"--log-format=xml"}, "--log-format"},
		"body limit":        {[]string{"--max-request-bytes=0"}, "must be positive"},
		"stray arguments":   {[]string{"now"}, "unexpected arguments"},
		"unknown flag":      {[]string{"--fast"}, "flag provided but not defined"},
		"port out of range": {[]string{"--port=70000"}, "not a TCP port"},
		"unknown webhook":   {[]string{"--webhooks=objectstores,secrets"}, `unknown webhook "secrets"`},
		"crd check":         {[]string{"--crd-check=maybe"}, "--crd-check: \"maybe\": want fail, warn or off"},
		"crd interval":      {[]string{"--crd-check-interval=0s"}, "--crd-check-interval must be positive"},
	} {
		var stderr bytes.Buffer
		if code := runServe(tc.args, &stderr); code != 2 || !strings.Contains(stderr.String(), tc.says) {
			t.Errorf("%s: exit %d, stderr %q; want 2 saying %q", name, code, stderr.String(), tc.says)
		}
	}
}

// Without an API server, secret checks cannot work: serve says so and how to run without them.
func TestServeFailsFastWithoutAnAPIServer(t *testing.T) {
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	t.Setenv("KUBERNETES_SERVICE_PORT", "")
	for _, c := range []struct {
		args []string
		says string
	}{
		{[]string{"--webhooks=objectstores", "--secret-checks=deny"}, "--secret-checks=deny needs the Kubernetes API server"},
		{[]string{"--secret-checks=off"}, "the Cluster and pod webhooks needs the Kubernetes API server"},
		{[]string{"--webhooks=pods", "--secret-checks=off"}, "the Cluster and pod webhooks needs the Kubernetes API server"},
	} {
		var stderr bytes.Buffer
		code := runServe(append([]string{"--port=0", "--metrics-addr=127.0.0.1:0", "--cert-dir=" + t.TempDir()}, c.args...), &stderr)
		if code != 1 || !strings.Contains(stderr.String(), c.says) ||
			!strings.Contains(stderr.String(), "--webhooks=objectstores --secret-checks=off --cert-mode=files") {
			t.Errorf("%v: exit %d, stderr %s", c.args, code, stderr.String())
		}
	}
}

// TestServeCutsShortReviewsPastTheGrace: a review still in flight when --shutdown-grace runs out is
// aborted (its handler's context ends) and serve exits with an error that says so.
func TestServeCutsShortReviewsPastTheGrace(t *testing.T) {
	dir := t.TempDir()
	ca, _ := certs.NewCA("ca", time.Hour, time.Now())
	writePair(t, dir, issue(t, ca))
	stuck := &stuckHandler{started: make(chan struct{}, 1), ended: make(chan error, 1)}
	r := startServe(t, []string{"--port=0", "--bind-address=127.0.0.1", "--metrics-addr=127.0.0.1:0",
		"--cert-dir=" + dir, "--webhooks=objectstores", "--secret-checks=off", "--shutdown-grace=300ms"}, serveHooks{routes: []admission.Route{{
		Path: "/validate/things", Resource: schema.GroupVersionResource{Group: "test.objectstore-webhook.io", Version: "v1", Resource: "things"},
		Handler: stuck,
	}}})
	eventually(t, "/readyz to turn ready", func() bool { code, _ := probe(t, r, "/readyz"); return code == 200 })
	go func() {
		_, _ = postReview(httpsClient(trusting(ca)), r.webhook, "/validate/things", review("uid-stuck", "", "things", `{}`))
	}()
	<-stuck.started
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-stuck.ended:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("the stuck review's context ended with %v, want context.Canceled", err)
		}
	case <-time.After(time.Minute):
		t.Fatalf("the stuck review was never aborted:\n%s", r.log)
	}
	if code := <-r.exit; code == 0 || !strings.Contains(r.log.String(), "cut short") {
		t.Fatalf("serve exited with %d; want an error saying reviews were cut short:\n%s", code, r.log)
	}
}

// stuckHandler holds each review until its context ends.
type stuckHandler struct {
	started chan struct{}
	ended   chan error
}

func (h *stuckHandler) Admit(ctx context.Context, _ *admissionv1.AdmissionRequest) admission.Result {
	h.started <- struct{}{}
	<-ctx.Done()
	h.ended <- ctx.Err()
	return admission.Result{Err: ctx.Err()}
}

// TestServeFailsWhenItsPortIsTaken: a webhook port another process holds is an exit with the port named,
// not a server that looks ready.
func TestServeFailsWhenItsPortIsTaken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	var stderr bytes.Buffer
	code := runServe([]string{"--port=" + strconv.Itoa(port), "--bind-address=127.0.0.1", "--metrics-addr=127.0.0.1:0",
		"--cert-dir=" + t.TempDir(), "--webhooks=objectstores", "--secret-checks=off"}, &stderr)
	if code == 0 || !strings.Contains(stderr.String(), strconv.Itoa(port)) || !strings.Contains(stderr.String(), "address already in use") {
		t.Errorf("exit %d, stderr %s", code, stderr.String())
	}
}

// The manifests rely on serve's default --port (they pass none), so the two must agree.
func TestDefaultPortIsTheManifestsContainerPort(t *testing.T) {
	cfg, err := parseServeFlags(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join("..", "..", "manifests", "base", "deployment.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var d appsv1.Deployment
	if err := yaml.UnmarshalStrict(data, &d); err != nil {
		t.Fatal(err)
	}
	c := d.Spec.Template.Spec.Containers[0]
	for _, a := range c.Args {
		if strings.HasPrefix(a, "--port") {
			t.Errorf("the Deployment passes %s; this test assumes serve's default", a)
		}
	}
	var port int32
	for _, p := range c.Ports {
		if p.Name == "webhook" {
			port = p.ContainerPort
		}
	}
	if int(port) != cfg.port {
		t.Errorf("the Deployment's container port \"webhook\" is %d, serve's default --port %d", port, cfg.port)
	}
	if cfg.port != 10250 {
		t.Errorf("default --port %d, want 10250 (reachable from a GKE private cluster's control plane)", cfg.port)
	}
}

// The settings controller is on by default (the injected archiver mounts its ConfigMap), and a resync
// period that would never fire is refused with the flag's name.
func TestSettingsControllerFlags(t *testing.T) {
	cfg, err := parseServeFlags(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.settingsController || cfg.settingsResync != 10*time.Minute {
		t.Errorf("defaults --settings-controller=%v --settings-resync=%s, want true and 10m", cfg.settingsController, cfg.settingsResync)
	}
	if cfg, err = parseServeFlags([]string{"--settings-controller=false"}, io.Discard); err != nil || cfg.settingsController {
		t.Errorf("--settings-controller=false: %v, on=%v", err, cfg.settingsController)
	}
	if _, err := parseServeFlags([]string{"--settings-resync=0s"}, io.Discard); err == nil ||
		!strings.Contains(err.Error(), "--settings-resync must be positive") {
		t.Errorf("--settings-resync=0s: %v, want an error naming the flag", err)
	}
}
