package s3store

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/store"
)

// awsLike answers as S3 does for a bucket in region: a request signed for another region gets a 301
// PermanentRedirect naming the bucket's region in x-amz-bucket-region, an unsigned one a 403 with the
// same header, and a request signed for the right region succeeds.
type awsLike struct {
	region   string
	noHeader bool // a compatible that never names a region

	mu    sync.Mutex
	heads int
	puts  []string // the signing region of each accepted PUT
}

var scopeRegion = regexp.MustCompile(`Credential=[^/]+/\d{8}/([^/]+)/s3/aws4_request`)

func (a *awsLike) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	a.mu.Lock()
	defer a.mu.Unlock()
	if r.Method == http.MethodHead && strings.Count(strings.Trim(r.URL.Path, "/"), "/") == 0 {
		a.heads++
	}
	if !a.noHeader {
		w.Header().Set("X-Amz-Bucket-Region", a.region)
	}
	m := scopeRegion.FindStringSubmatch(r.Header.Get("Authorization"))
	switch {
	case m == nil:
		w.WriteHeader(http.StatusForbidden)
	case m[1] != a.region && !a.noHeader:
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusMovedPermanently)
		if r.Method != http.MethodHead {
			_, _ = io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>PermanentRedirect</Code>`+
				`<Message>The bucket you are attempting to access must be addressed using the specified endpoint.</Message></Error>`)
		}
	default:
		if r.Method == http.MethodPut {
			a.puts = append(a.puts, m[1])
		}
		w.Header().Set("ETag", `"x"`)
	}
}

func (a *awsLike) counts() (int, []string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.heads, append([]string(nil), a.puts...)
}

func awsLikeStore(t *testing.T, a *awsLike, region string) *Store {
	t.Helper()
	srv := httptest.NewServer(a)
	t.Cleanup(srv.Close)
	s, err := New(context.Background(), Config{Bucket: "wal", Region: region, Endpoint: srv.URL, MaxAttempts: 1,
		Credentials: &Credentials{AccessKeyID: "ak", SecretAccessKey: "sk"}})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func put(s *Store, key string) error {
	return s.Put(context.Background(), key, strings.NewReader("x"), 1, store.PutOptions{})
}

// TestRegionDiscovered: with no region configured, the driver asks once where the bucket is and signs
// everything for that region, as boto3 does; without discovery every request would be redirected.
func TestRegionDiscovered(t *testing.T) {
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	a := &awsLike{region: "eu-west-2"}
	s := awsLikeStore(t, a, "")
	for _, k := range []string{"a", "b", "c"} {
		if err := put(s, k); err != nil {
			t.Fatalf("put %s: %v", k, err)
		}
	}
	heads, puts := a.counts()
	if heads != 1 || len(puts) != 3 || puts[0] != "eu-west-2" {
		t.Fatalf("%d discovery requests and PUTs signed for %q; want 1 and eu-west-2 each time", heads, puts)
	}
	if got := s.Region(context.Background()); got != "eu-west-2" {
		t.Fatalf("Region() = %q", got)
	}
}

// TestExplicitRegionWins: a configured region is never second-guessed; the redirect it earns says what
// to change.
func TestExplicitRegionWins(t *testing.T) {
	a := &awsLike{region: "eu-west-2"}
	s := awsLikeStore(t, a, "us-east-1")
	err := put(s, "a")
	if err == nil || !strings.Contains(err.Error(), "set AWS_REGION to the bucket's region") {
		t.Fatalf("put with the wrong explicit region: %v", err)
	}
	if heads, _ := a.counts(); heads != 0 {
		t.Fatalf("%d discovery requests with an explicit region", heads)
	}
}

// TestRegionNotNamed: a service that names no region leaves DefaultRegion, and is asked only once.
func TestRegionNotNamed(t *testing.T) {
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	a := &awsLike{region: "ignored", noHeader: true}
	s := awsLikeStore(t, a, "")
	for _, k := range []string{"a", "b"} {
		if err := put(s, k); err != nil {
			t.Fatal(err)
		}
	}
	if heads, puts := a.counts(); heads != 1 || len(puts) != 2 || puts[0] != DefaultRegion {
		t.Fatalf("%d discovery requests, PUTs signed for %q", heads, puts)
	}
}

// TestRegionAskedAgainAfterNoAnswer: when the service cannot be reached, discovery is tried again with
// the next request instead of settling on the default.
func TestRegionAskedAgainAfterNoAnswer(t *testing.T) {
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	a := &awsLike{region: "ap-south-1"}
	srv := httptest.NewUnstartedServer(a)
	s, err := New(context.Background(), Config{Bucket: "wal", Endpoint: "http://" + srv.Listener.Addr().String(),
		MaxAttempts: 1, Credentials: &Credentials{AccessKeyID: "ak", SecretAccessKey: "sk"}})
	if err != nil {
		t.Fatal(err)
	}
	// The listener exists but nobody accepts: close it so the first request fails to connect.
	addr := srv.Listener.Addr().String()
	srv.Listener.Close()
	if err := put(s, "a"); err == nil {
		t.Fatal("a put to a closed port succeeded")
	}
	srv = httptest.NewUnstartedServer(a)
	l, err := listenOn(addr)
	if err != nil {
		t.Fatal(err)
	}
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	if err := put(s, "b"); err != nil {
		t.Fatalf("put once the service is up: %v", err)
	}
	if _, puts := a.counts(); len(puts) != 1 || puts[0] != "ap-south-1" {
		t.Fatalf("PUTs signed for %q, want ap-south-1", puts)
	}
}

func listenOn(addr string) (net.Listener, error) { return net.Listen("tcp", addr) }
