package check

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/store"
)

// memStore is an in-memory store whose operations can be made to fail.
type memStore struct {
	mu       sync.Mutex
	objs     map[string][]byte
	meta     map[string]map[string]string
	fail     map[string]error // by operation name
	noCreate bool             // Create overwrites, as a store without If-None-Match would
}

func newMem() *memStore {
	return &memStore{objs: map[string][]byte{}, meta: map[string]map[string]string{}, fail: map[string]error{}}
}

func (m *memStore) put(op, key string, body io.Reader, opts store.PutOptions, create bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.fail[op]; err != nil {
		return err
	}
	if _, ok := m.objs[key]; ok && create && !m.noCreate {
		return store.ErrExists
	}
	b, _ := io.ReadAll(body)
	m.objs[key], m.meta[key] = b, opts.Metadata
	return nil
}

func (m *memStore) Create(_ context.Context, key string, body io.Reader, _ int64, opts store.PutOptions) error {
	return m.put("create", key, body, opts, true)
}

func (m *memStore) Put(_ context.Context, key string, body io.Reader, _ int64, opts store.PutOptions) error {
	return m.put("put", key, body, opts, false)
}

func (m *memStore) Stat(_ context.Context, key string) (store.Object, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.fail["stat"]; err != nil {
		return store.Object{}, err
	}
	b, ok := m.objs[key]
	if !ok {
		return store.Object{}, store.ErrNotFound
	}
	return store.Object{Key: key, Size: int64(len(b)), Metadata: m.meta[key]}, nil
}

func (m *memStore) Get(_ context.Context, key string) (io.ReadCloser, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.fail["get"]; err != nil {
		return nil, err
	}
	b, ok := m.objs[key]
	if !ok {
		return nil, store.ErrNotFound
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

// GetRange slices what Get returns (an in-memory store has no cheaper way).
func (m *memStore) GetRange(ctx context.Context, key string, offset, length int64) (io.ReadCloser, error) {
	rc, err := m.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	b, _ := io.ReadAll(rc)
	if length < 0 {
		length = int64(len(b)) - offset
	}
	return io.NopCloser(bytes.NewReader(b[offset : offset+length])), nil
}

// CreateParallel is one Create: an in-memory store has nothing to parallelise.
func (m *memStore) CreateParallel(ctx context.Context, key string, body io.Reader, opts store.PutOptions, _ int) (int64, error) {
	return store.CreateSerially(ctx, m, key, body, opts)
}

func (m *memStore) List(_ context.Context, prefix string) ([]store.Object, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.fail["list"]; err != nil {
		return nil, err
	}
	var out []store.Object
	for k, b := range m.objs {
		if strings.HasPrefix(k, prefix) {
			out = append(out, store.Object{Key: k, Size: int64(len(b))})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

func (m *memStore) Delete(_ context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.fail["delete"]; err != nil {
		return err
	}
	delete(m.objs, key)
	return nil
}

func TestRunAllStepsPassAndCleanUp(t *testing.T) {
	m := newMem()
	m.objs["base/pg/wals/x"] = []byte("keep")
	steps := Run(context.Background(), Target{Store: m, Bucket: "b", Prefix: "base"})
	if !OK(steps) {
		t.Fatalf("steps = %+v", steps)
	}
	var names []string
	for _, s := range steps {
		names = append(names, s.Name)
	}
	want := []string{StepReach, StepWrite, StepList, StepRead, StepExists, StepDelete}
	if fmt.Sprint(names) != fmt.Sprint(want) {
		t.Fatalf("steps %v, want %v", names, want)
	}
	if len(m.objs) != 1 || string(m.objs["base/pg/wals/x"]) != "keep" {
		t.Fatalf("check left or removed objects: %v", m.objs)
	}
}

func TestRunStopsAtTheFirstFailureAndStillDeletes(t *testing.T) {
	m := newMem()
	m.fail["get"] = fmt.Errorf("wrapped: %w", store.ErrPermission)
	steps := Run(context.Background(), Target{Store: m, Bucket: "wal", Prefix: "p"})
	if OK(steps) {
		t.Fatal("a failing read passed the check")
	}
	last := steps[len(steps)-1]
	if last.Name != StepDelete || !last.OK {
		t.Fatalf("the probe was not deleted after a failure: %+v", steps)
	}
	read := steps[3]
	if read.Name != StepRead || read.OK || read.Class != ClassPermission || !strings.Contains(read.Message, `permission denied on bucket "wal"`) {
		t.Fatalf("read step = %+v", read)
	}
	if len(m.objs) != 0 {
		t.Fatalf("probe left behind: %v", m.objs)
	}
}

func TestRunReportsAStoreThatOverwrites(t *testing.T) {
	m := newMem()
	m.noCreate = true
	steps := Run(context.Background(), Target{Store: m, Bucket: "b"})
	var exists Step
	for _, s := range steps {
		if s.Name == StepExists {
			exists = s
		}
	}
	if exists.OK || exists.Class != ClassIntegrity || !strings.Contains(exists.Message, "If-None-Match") {
		t.Fatalf("overwrite step = %+v", exists)
	}
}

func TestRunUnreachableStopsAtOnce(t *testing.T) {
	m := newMem()
	m.fail["list"] = &url.Error{Op: "Get", URL: "http://127.0.0.1:1", Err: &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}}
	steps := Run(context.Background(), Target{Store: m, Bucket: "b", Endpoint: "http://127.0.0.1:1"})
	if len(steps) != 1 || steps[0].Class != ClassConnect || !strings.Contains(steps[0].Message, "cannot connect to http://127.0.0.1:1") {
		t.Fatalf("steps = %+v", steps)
	}
}

func TestClassify(t *testing.T) {
	for _, c := range []struct {
		err   error
		class Class
		want  string
	}{
		{fmt.Errorf("x: %w", store.ErrBucketNotFound), ClassBucket, `bucket "wal" does not exist`},
		{fmt.Errorf("x: %w", store.ErrAuthentication), ClassAuth, "authentication failed"},
		{fmt.Errorf("x: %w", store.ErrPermission), ClassPermission, "permission denied"},
		{&url.Error{Op: "Get", URL: "https://s3.nowhere.invalid", Err: &net.OpError{Op: "dial", Err: &net.DNSError{Name: "s3.nowhere.invalid", Err: "no such host", IsNotFound: true}}}, ClassDNS, `cannot resolve host "s3.nowhere.invalid"`},
		{&url.Error{Op: "Get", URL: "https://h", Err: x509.UnknownAuthorityError{}}, ClassTLS, "certificate of https://h:9000 is not trusted"},
		{&url.Error{Op: "Get", URL: "https://h", Err: x509.HostnameError{Certificate: &x509.Certificate{}, Host: "h"}}, ClassTLS, "does not name the host"},
		{fmt.Errorf("x: %w", syscall.ECONNREFUSED), ClassConnect, "cannot connect"},
		{fmt.Errorf("x: %w", context.DeadlineExceeded), ClassTimeout, "did not answer in time"},
		{integrityError{"boom"}, ClassIntegrity, "boom"},
		{errors.New("operation error S3: ListObjectsV2, get identity: get credentials: failed to refresh cached credentials, no EC2 IMDS role found"), ClassAuth, "no credentials found"},
		{errors.New("google: could not find default credentials. See https://cloud.google.com/docs/authentication"), ClassAuth, "no credentials found"},
		{errors.New("strange"), ClassOther, "strange"},
	} {
		class, msg := Classify(c.err, "wal", "https://h:9000")
		if class != c.class || !strings.Contains(msg, c.want) {
			t.Errorf("Classify(%v) = %s %q, want %s containing %q", c.err, class, msg, c.class, c.want)
		}
	}
}
