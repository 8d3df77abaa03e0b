package check

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"syscall"
	"testing"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/store"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/store/memstore"
)

func TestRunAllStepsPassAndCleanUp(t *testing.T) {
	m := memstore.New()
	m.Seed("base/pg/wals/x", []byte("keep"))
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
	if b, _ := m.Bytes("base/pg/wals/x"); len(m.Keys()) != 1 || string(b) != "keep" {
		t.Fatalf("check left or removed objects: %v", m.Keys())
	}
}

func TestRunStopsAtTheFirstFailureAndStillDeletes(t *testing.T) {
	m := memstore.New()
	m.SetFault(memstore.FailOp(memstore.OpGet, fmt.Errorf("wrapped: %w", store.ErrPermission)))
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
	if keys := m.Keys(); len(keys) != 0 {
		t.Fatalf("probe left behind: %v", keys)
	}
}

func TestRunReportsAStoreThatOverwrites(t *testing.T) {
	m := memstore.New()
	m.WithoutConditionalCreate()
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
	m := memstore.New()
	m.SetFault(memstore.FailOp(memstore.OpList, &url.Error{Op: "Get", URL: "http://127.0.0.1:1", Err: &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}}))
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
