package s3store

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/store"
)

// TestRefusedContainerCredentials: an EKS Pod Identity agent that refuses the token answers with an
// error code of its own (here AccessDenied); it must read as the identity failing, naming the endpoint,
// not as a bucket permission, and the bucket must never be asked.
func TestRefusedContainerCredentials(t *testing.T) {
	agent := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte(`{"code":"AccessDenied","message":"no association for ServiceAccount db/pg"}`))
	}))
	t.Cleanup(agent.Close)
	bucketAsked := false
	bucket := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			bucketAsked = true
		}
	}))
	t.Cleanup(bucket.Close)
	token := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(token, []byte("tok"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
	t.Setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", agent.URL+"/v1/credentials")
	t.Setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", token)
	s, err := New(context.Background(), Config{Bucket: "wal", Region: "eu-west-1", Endpoint: bucket.URL, MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Put(context.Background(), "k", strings.NewReader("x"), 1, store.PutOptions{})
	if !errors.Is(err, store.ErrAuthentication) || errors.Is(err, store.ErrPermission) {
		t.Fatalf("got %v, want ErrAuthentication only", err)
	}
	for _, want := range []string{"no credentials from the container credentials endpoint " + agent.URL + "/v1/credentials (EKS Pod Identity",
		"no association for ServiceAccount db/pg"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err, want)
		}
	}
	if bucketAsked {
		t.Error("a signed request reached the bucket without credentials")
	}
}
