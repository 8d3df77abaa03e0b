package gcsstore

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"cloud.google.com/go/storage"
	"google.golang.org/api/googleapi"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/store"
)

func TestClassify(t *testing.T) {
	for _, c := range []struct {
		op   string
		err  error
		want error
	}{
		{"create", &googleapi.Error{Code: http.StatusPreconditionFailed}, store.ErrExists},
		{"create", &googleapi.Error{Code: http.StatusNotFound}, store.ErrBucketNotFound},
		{"get", storage.ErrObjectNotExist, store.ErrNotFound},
		{"get", fmt.Errorf("x: %w", storage.ErrBucketNotExist), store.ErrBucketNotFound},
		{"list", listErr(&googleapi.Error{Code: http.StatusNotFound}), store.ErrBucketNotFound},
		{"list", &googleapi.Error{Code: http.StatusUnauthorized}, store.ErrAuthentication},
		{"stat", &googleapi.Error{Code: http.StatusForbidden}, store.ErrPermission},
	} {
		s := &Store{cfg: Config{Bucket: "wal"}}
		if err := s.mapErr(c.op, "k", c.err); !errors.Is(err, c.want) {
			t.Errorf("%s %v mapped to %v, want %v", c.op, c.err, err, c.want)
		}
	}
}

func TestCredentialsFileType(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	if typ, err := credentialsType(write("sa.json", `{"type":"service_account","private_key":"SECRET"}`)); err != nil || typ != "service_account" {
		t.Fatalf("service account: %q %v", typ, err)
	}
	if typ, err := credentialsType(write("wif.json", `{"type":"external_account"}`)); err != nil || typ != "external_account" {
		t.Fatalf("external account: %q %v", typ, err)
	}
	_, err := credentialsType(write("bad.json", `SECRET not json`))
	if err == nil || strings.Contains(err.Error(), "SECRET") || !strings.Contains(err.Error(), "not JSON") {
		t.Fatalf("non-JSON file: %v", err)
	}
	if _, err := credentialsType(write("odd.json", `{"type":"gdch_service_account"}`)); err == nil || !strings.Contains(err.Error(), "want service_account") {
		t.Fatalf("unsupported type: %v", err)
	}
}
