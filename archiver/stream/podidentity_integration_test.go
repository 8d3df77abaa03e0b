//go:build integration

package stream

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/layout"
	"github.com/objectstore-webhook/objectstore-webhook/internal/harness/testservers"
)

// podIdentityAgent plays the EKS Pod Identity agent on 127.0.0.1: it hands out credentials in the
// container-credentials JSON format to a caller whose Authorization header is the expected token, and
// refuses everyone else. The credentials are fresh MinIO STS credentials with an Expiration, so the SDK
// must refresh them, and so read the token file again, every few seconds.
type podIdentityAgent struct {
	minio *testservers.MinIO

	mu      sync.Mutex
	token   string
	served  map[string]int // token → credentials handed out for it
	refused int
}

func (a *podIdentityAgent) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	want := a.token
	got := r.Header.Get("Authorization")
	if got != want || r.URL.Path != "/v1/credentials" {
		a.refused++
		a.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = fmt.Fprint(w, `{"code":"InvalidToken","message":"the ServiceAccount token is not valid for this agent"}`)
		return
	}
	a.served[got]++
	a.mu.Unlock()
	creds, err := a.assumeRole(r.Context())
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{
		"AccessKeyId":     creds.AccessKeyID,
		"SecretAccessKey": creds.SecretAccessKey,
		"Token":           creds.SessionToken,
		// The SDK refreshes five minutes before Expiration: this makes it come back within seconds.
		"Expiration": time.Now().Add(5*time.Minute + 2*time.Second).UTC().Format(time.RFC3339),
	})
}

// assumeRole gets temporary credentials from MinIO's STS, as the agent gets them from EKS Auth.
func (a *podIdentityAgent) assumeRole(ctx context.Context) (aws.Credentials, error) {
	client := sts.New(sts.Options{
		Region:       a.minio.Region,
		BaseEndpoint: aws.String(a.minio.URL),
		Credentials:  credentials.NewStaticCredentialsProvider(a.minio.AccessKey, a.minio.SecretKey, ""),
	})
	out, err := client.AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn:         aws.String("arn:aws:iam::123456789012:role/pg-backup"),
		RoleSessionName: aws.String("wal-archiver"),
		DurationSeconds: aws.Int32(900),
	})
	if err != nil {
		return aws.Credentials{}, fmt.Errorf("MinIO STS AssumeRole: %w", err)
	}
	c := out.Credentials
	return aws.Credentials{AccessKeyID: aws.ToString(c.AccessKeyId), SecretAccessKey: aws.ToString(c.SecretAccessKey),
		SessionToken: aws.ToString(c.SessionToken)}, nil
}

func (a *podIdentityAgent) setToken(tok string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.token = tok
}

func (a *podIdentityAgent) stats() (served map[string]int, refused int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := map[string]int{}
	for k, v := range a.served {
		out[k] = v
	}
	return out, a.refused
}

// podIdentityEnv is the environment of a pod the EKS webhook mutated, and nothing else of the cloud: no
// keys, no region, no profile (HOME is empty), none of the test's own AWS_* or PG* variables.
func podIdentityEnv(t *testing.T, uri, tokenFile string) []string {
	var env []string
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "AWS_") && !strings.HasPrefix(e, "PG") && !strings.HasPrefix(e, "HOME=") {
			env = append(env, e)
		}
	}
	return append(env, "HOME="+t.TempDir(),
		"AWS_CONTAINER_CREDENTIALS_FULL_URI="+uri, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE="+tokenFile)
}

// TestPodIdentityCredentials runs wal-archiver as it runs in a pod with EKS Pod Identity: the only
// credentials are what the agent hands out for the projected token. It archives, keeps archiving across a
// token rotation, and a wrong token is refused with a message that names the endpoint.
func TestPodIdentityCredentials(t *testing.T) {
	m := testservers.StartMinIO(t, testservers.MinIOOptions{})
	m.CreateBucket(t, bucket)
	st := minioStore(t, m)
	pg := primary(t)

	agent := &podIdentityAgent{minio: m, token: "projected-token-1", served: map[string]int{}}
	srv := httptest.NewServer(agent)
	t.Cleanup(srv.Close)
	uri := srv.URL + "/v1/credentials"
	tokenFile := filepath.Join(t.TempDir(), "eks-pod-identity-token")
	writeToken(t, tokenFile, "projected-token-1")

	const server = "podid"
	lay, err := layout.New("prefix", server)
	if err != nil {
		t.Fatal(err)
	}
	archived := func(seg string) func() bool {
		return func() bool {
			n, err := layout.Parse(seg)
			if err != nil {
				t.Fatal(err)
			}
			_, err = st.Stat(context.Background(), lay.Key(n, ""))
			return err == nil
		}
	}

	listen := fmt.Sprintf("127.0.0.1:%d", testservers.FreePort(t))
	out := &lockedBuf{}
	cmd := exec.Command(binary(), "stream", "--conninfo", pg.ConnString(), "--status-interval", "200ms", "--poll-interval", "500ms")
	cmd.Env = append(podIdentityEnv(t, uri, tokenFile),
		"WAL_ARCHIVER_DESTINATION_PATH=s3://"+bucket+"/prefix", "WAL_ARCHIVER_ENDPOINT_URL="+m.URL,
		"WAL_ARCHIVER_SERVER_NAME="+server, "WAL_ARCHIVER_S3_INHERIT_IAM_ROLE=true",
		"WAL_ARCHIVER_SPOOL_DIR="+filepath.Join(t.TempDir(), "spool"), "WAL_ARCHIVER_LISTEN="+listen,
		"WAL_ARCHIVER_SLOT=arch_podid")
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &archiverProc{cmd: cmd, listen: listen, out: out, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.kill9()
		if t.Failed() {
			t.Logf("wal-archiver output:\n%s", out.String())
		}
	})

	first := switchWAL(t, pg)
	waitFor(t, 2*time.Minute, archived(first), func() string { return "segment " + first + " archived with Pod Identity credentials" })
	if served, refused := agent.stats(); served["projected-token-1"] == 0 || refused != 0 {
		t.Fatalf("agent served %v and refused %d requests, want only the right token", served, refused)
	}

	// The kubelet rotates the projected token: the agent accepts only the new one from now on, and the
	// archiver must pick it up from the file when it next refreshes its credentials.
	writeToken(t, tokenFile, "projected-token-2")
	agent.setToken("projected-token-2")
	waitFor(t, 2*time.Minute, func() bool { s, _ := agent.stats(); return s["projected-token-2"] > 0 },
		func() string { return "the archiver presenting the rotated token" })
	second := switchWAL(t, pg)
	waitFor(t, 2*time.Minute, archived(second), func() string { return "segment " + second + " archived after the rotation" })
	p.term(t)

	// A token the agent does not accept: `check` (the same store setup as `stream`) fails on the first
	// step with the endpoint and the agent's answer, and never prints the token.
	writeToken(t, tokenFile, "stolen-or-stale-token")
	chk := exec.Command(binary(), "check", "--timeout", "20s")
	chk.Env = append(podIdentityEnv(t, uri, tokenFile),
		"WAL_ARCHIVER_DESTINATION_PATH=s3://"+bucket+"/prefix", "WAL_ARCHIVER_ENDPOINT_URL="+m.URL,
		"WAL_ARCHIVER_SERVER_NAME="+server, "WAL_ARCHIVER_S3_INHERIT_IAM_ROLE=true")
	msg, err := chk.CombinedOutput()
	if code := chk.ProcessState.ExitCode(); err == nil || code != 1 {
		t.Fatalf("check with a wrong token: exit %d (%v), want 1:\n%s", code, err, msg)
	}
	for _, want := range []string{"authentication failed", "no credentials from the container credentials endpoint " + uri,
		"EKS Pod Identity", "InvalidToken", "not valid for this agent"} {
		if !strings.Contains(string(msg), want) {
			t.Errorf("check's report lacks %q:\n%s", want, msg)
		}
	}
	if strings.Contains(string(msg), "stolen-or-stale-token") {
		t.Errorf("check's report shows the token:\n%s", msg)
	}
	if _, refused := agent.stats(); refused == 0 {
		t.Error("the agent saw no refused request")
	}
	if objs, err := st.List(context.Background(), "prefix/"+server+"/"); err != nil || len(objs) < 2 {
		t.Errorf("store holds %d objects (%v)", len(objs), err)
	}
}

func writeToken(t *testing.T, path, tok string) {
	t.Helper()
	// As the kubelet does: a new file put in place, never a half-written one.
	tmp := path + ".new"
	if err := os.WriteFile(tmp, []byte(tok), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}
