package s3store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/smithy-go"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/store"
)

// recorder is an S3 endpoint that accepts every PUT and keeps what it saw.
type recorder struct {
	mu   sync.Mutex
	reqs []*http.Request
	body []string
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	b, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.reqs = append(r.reqs, req)
	r.body = append(r.body, string(b))
	r.mu.Unlock()
	w.Header().Set("ETag", `"x"`)
}

func newRecorded(t *testing.T, mutate func(*Config)) (*Store, *recorder) {
	t.Helper()
	rec := &recorder{}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	// A region, so that no discovery request comes before the ones the tests count.
	cfg := Config{Bucket: "wal", Region: DefaultRegion, Endpoint: srv.URL, Credentials: &Credentials{AccessKeyID: "ak", SecretAccessKey: "sk"}, MaxAttempts: 1}
	if mutate != nil {
		mutate(&cfg)
	}
	s, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s, rec
}

type streamOnly struct{ io.Reader }

func TestCreateSendsTheWireContract(t *testing.T) {
	s, rec := newRecorded(t, func(c *Config) { c.Encryption, c.KMSKeyID = "aws:kms", "key-1" })
	const sum = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824" // sha256("hello")
	err := s.Create(context.Background(), "base/pg/wals/0000000100000000/000000010000000000000001",
		streamOnly{strings.NewReader("hello")}, 5, store.PutOptions{
			Metadata: map[string]string{store.MetaSHA256: sum},
			Tags:     map[string]string{"b": "x y", "a": "1/2"},
		})
	if err != nil {
		t.Fatalf("Create with a non-seekable body over http: %v", err)
	}
	r := rec.reqs[0]
	for h, want := range map[string]string{
		"If-None-Match":                               "*",
		"X-Amz-Content-Sha256":                        sum,
		"X-Amz-Meta-Walarchiver-Sha256":               sum,
		"X-Amz-Tagging":                               "a=1%2F2&b=x+y",
		"X-Amz-Server-Side-Encryption":                "aws:kms",
		"X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id": "key-1",
		"Content-Type":                                "application/octet-stream",
	} {
		if got := r.Header.Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
	if r.URL.Path != "/wal/base/pg/wals/0000000100000000/000000010000000000000001" {
		t.Errorf("path %q: want path-style addressing for a custom endpoint", r.URL.Path)
	}
	if r.Header.Get("X-Amz-Trailer") != "" || r.Header.Get("X-Amz-Sdk-Checksum-Algorithm") != "" {
		t.Errorf("flexible checksums were sent: %v", r.Header)
	}
	if rec.body[0] != "hello" {
		t.Errorf("body %q", rec.body[0])
	}
}

func TestPutIsUnconditional(t *testing.T) {
	s, rec := newRecorded(t, nil)
	if err := s.Put(context.Background(), "k.partial", strings.NewReader("abc"), 3, store.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := rec.reqs[0].Header.Get("If-None-Match"); got != "" {
		t.Fatalf("Put sent If-None-Match %q", got)
	}
}

func TestStreamWithoutHashGoesUnsigned(t *testing.T) {
	s, rec := newRecorded(t, nil)
	if err := s.Put(context.Background(), "k", streamOnly{strings.NewReader("abc")}, 3, store.PutOptions{}); err != nil {
		t.Fatalf("a non-seekable body without a hash over http: %v", err)
	}
	if got := rec.reqs[0].Header.Get("X-Amz-Content-Sha256"); got != "UNSIGNED-PAYLOAD" {
		t.Fatalf("X-Amz-Content-Sha256 = %q", got)
	}
}

func TestUnknownSizeBuffersOnePartAtMost(t *testing.T) {
	s, rec := newRecorded(t, func(c *Config) { c.PartSize = 5 << 20 })
	body := strings.Repeat("x", 1000)
	if err := s.Create(context.Background(), "small", streamOnly{strings.NewReader(body)}, -1, store.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if len(rec.reqs) != 1 || rec.reqs[0].Method != http.MethodPut || rec.reqs[0].ContentLength != 1000 {
		t.Fatalf("a short body of unknown size was not one PUT of its length: %d requests", len(rec.reqs))
	}
}

func TestVirtualHostedWhenAsked(t *testing.T) {
	no := false
	s, err := New(context.Background(), Config{Bucket: "wal", Region: "eu-west-1", PathStyle: &no, Credentials: &Credentials{AccessKeyID: "a", SecretAccessKey: "b"}})
	if err != nil {
		t.Fatal(err)
	}
	if r, o := s.Region(context.Background()), s.Client().Options(); r != "eu-west-1" || o.UsePathStyle {
		t.Fatalf("region %q path style %v", r, o.UsePathStyle)
	}
}

func TestNewRejects(t *testing.T) {
	for _, c := range []struct {
		cfg  Config
		want string
	}{
		{Config{}, "bucket name is required"},
		{Config{Bucket: "b", Encryption: "aes"}, `encryption "aes" is not supported`},
		{Config{Bucket: "b", PartSize: 1 << 20}, "below S3's minimum"},
		{Config{Bucket: "b", Endpoint: "minio:9000"}, "must start with http:// or https://"},
		{Config{Bucket: "b", Credentials: &Credentials{AccessKeyID: "a"}}, "need both"},
		{Config{Bucket: "b", CAFile: "/nonexistent/ca.crt"}, "reading the endpoint CA bundle"},
	} {
		if _, err := New(context.Background(), c.cfg); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("New(%+v) = %v, want an error containing %q", c.cfg, err, c.want)
		}
	}
}

func TestClassify(t *testing.T) {
	for code, want := range map[string]error{
		"NoSuchKey":                  store.ErrNotFound,
		"PreconditionFailed":         store.ErrExists,
		"ConditionalRequestConflict": store.ErrExists,
		"NoSuchBucket":               store.ErrBucketNotFound,
		"InvalidAccessKeyId":         store.ErrAuthentication,
		"SignatureDoesNotMatch":      store.ErrAuthentication,
		"ExpiredToken":               store.ErrAuthentication,
		"AccessDenied":               store.ErrPermission,
	} {
		s := &Store{cfg: Config{Bucket: "wal"}}
		err := s.mapErr("op", "k", fmt.Errorf("op: %w", &smithy.GenericAPIError{Code: code, Message: "m"}))
		if !errors.Is(err, want) {
			t.Errorf("%s mapped to %v, want %v", code, err, want)
		}
	}
	s := &Store{cfg: Config{Bucket: "wal"}}
	err := s.mapErr("list", "k", &smithy.GenericAPIError{Code: "PermanentRedirect"})
	if !strings.Contains(err.Error(), "set AWS_REGION") {
		t.Errorf("a redirect gives no region hint: %v", err)
	}
}
