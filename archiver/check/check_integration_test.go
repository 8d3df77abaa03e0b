//go:build integration

package check_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/check"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/storeconfig"
	"github.com/objectstore-webhook/objectstore-webhook/internal/harness/testservers"
)

// runCheck opens the store as wal-archiver does (destination path + settings + environment) and checks it.
func runCheck(t *testing.T, s storeconfig.Settings, env map[string]string) []check.Step {
	t.Helper()
	s.Getenv = func(k string) string { return env[k] }
	s.MaxAttempts = 1
	st, loc, err := storeconfig.Open(context.Background(), s)
	if err != nil {
		t.Fatalf("storeconfig.Open: %v", err)
	}
	endpoint := s.EndpointURL
	if endpoint == "" {
		endpoint = loc.String()
	}
	return check.Run(context.Background(), check.Target{Store: st, Bucket: loc.Bucket, Prefix: loc.Join("pg-1"), Endpoint: endpoint, StepTimeout: time.Minute})
}

func wantOK(t *testing.T, steps []check.Step) {
	t.Helper()
	if !check.OK(steps) {
		t.Fatalf("check failed: %+v", steps)
	}
}

// wantFailure asserts the check stopped at its first step with the class and a message containing want.
func wantFailure(t *testing.T, steps []check.Step, class check.Class, want string) {
	t.Helper()
	last := steps[len(steps)-1]
	if check.OK(steps) || last.Class != class || !strings.Contains(last.Message, want) {
		t.Fatalf("got %+v, want a %s failure saying %q", steps, class, want)
	}
	t.Logf("%s: %s", last.Name, last.Message)
}

func minioEnv(m *testservers.MinIO) map[string]string {
	return map[string]string{"AWS_ACCESS_KEY_ID": m.AccessKey, "AWS_SECRET_ACCESS_KEY": m.SecretKey}
}

func TestCheckS3(t *testing.T) {
	m := testservers.StartMinIO(t, testservers.MinIOOptions{})
	m.CreateBucket(t, "wal")
	s := storeconfig.Settings{DestinationPath: "s3://wal/base", EndpointURL: m.URL}
	t.Run("OK", func(t *testing.T) { wantOK(t, runCheck(t, s, minioEnv(m))) })
	t.Run("WrongKey", func(t *testing.T) {
		env := minioEnv(m)
		env["AWS_SECRET_ACCESS_KEY"] = "not-the-secret"
		wantFailure(t, runCheck(t, s, env), check.ClassAuth, "authentication failed")
	})
	t.Run("MissingBucket", func(t *testing.T) {
		s := s
		s.DestinationPath = "s3://no-such-bucket/base"
		wantFailure(t, runCheck(t, s, minioEnv(m)), check.ClassBucket, `bucket "no-such-bucket" does not exist`)
	})
	t.Run("UnknownHost", func(t *testing.T) {
		s := s
		s.EndpointURL = "http://wal-archiver-test.invalid:9000" // .invalid never resolves (RFC 2606)
		wantFailure(t, runCheck(t, s, minioEnv(m)), check.ClassDNS, `cannot resolve host "wal-archiver-test.invalid"`)
	})
	t.Run("Unreachable", func(t *testing.T) {
		s := s
		s.EndpointURL = "http://" + net.JoinHostPort("127.0.0.1", strings.TrimPrefix(freePort(t), ":"))
		wantFailure(t, runCheck(t, s, minioEnv(m)), check.ClassConnect, "cannot connect")
	})
}

func TestCheckS3PrivateCA(t *testing.T) {
	ca, serving := testservers.LocalTLS(t, "check test CA")
	m := testservers.StartMinIO(t, testservers.MinIOOptions{CA: ca, Serving: serving})
	m.CreateBucket(t, "wal")
	s := storeconfig.Settings{DestinationPath: "s3://wal/", EndpointURL: m.URL, EndpointCAFile: m.CAFile}
	t.Run("Trusted", func(t *testing.T) { wantOK(t, runCheck(t, s, minioEnv(m))) })
	t.Run("Untrusted", func(t *testing.T) {
		s := s
		s.EndpointCAFile = ""
		wantFailure(t, runCheck(t, s, minioEnv(m)), check.ClassTLS, "certificate")
	})
	t.Run("PlainHTTPToTLS", func(t *testing.T) {
		s := s
		s.EndpointURL = strings.Replace(m.URL, "https://", "http://", 1)
		steps := runCheck(t, s, minioEnv(m))
		if check.OK(steps) {
			t.Fatalf("plain HTTP to a TLS port passed: %+v", steps)
		}
	})
}

func TestCheckAzure(t *testing.T) {
	a := testservers.StartAzurite(t)
	a.CreateContainer(t, "wal")
	dest := a.BlobEndpoint + "/wal/base"
	t.Run("ConnectionString", func(t *testing.T) {
		wantOK(t, runCheck(t, storeconfig.Settings{DestinationPath: dest}, map[string]string{"AZURE_STORAGE_CONNECTION_STRING": a.ConnectionString()}))
	})
	t.Run("AccountKey", func(t *testing.T) {
		wantOK(t, runCheck(t, storeconfig.Settings{DestinationPath: dest, Provider: "azure"}, map[string]string{"AZURE_STORAGE_KEY": a.Key}))
	})
	t.Run("WrongKey", func(t *testing.T) {
		wantFailure(t, runCheck(t, storeconfig.Settings{DestinationPath: dest}, map[string]string{"AZURE_STORAGE_KEY": strings.Repeat("B", 86) + "=="}),
			check.ClassAuth, "authentication failed")
	})
	t.Run("MissingContainer", func(t *testing.T) {
		wantFailure(t, runCheck(t, storeconfig.Settings{DestinationPath: a.BlobEndpoint + "/nope/base"}, map[string]string{"AZURE_STORAGE_CONNECTION_STRING": a.ConnectionString()}),
			check.ClassBucket, `bucket "nope" does not exist`)
	})
}

func TestCheckGCS(t *testing.T) {
	f := testservers.StartFakeGCS(t)
	f.CreateBucket(t, "wal")
	env := map[string]string{"STORAGE_EMULATOR_HOST": f.Host}
	t.Run("OK", func(t *testing.T) {
		wantOK(t, runCheck(t, storeconfig.Settings{DestinationPath: "gs://wal/base"}, env))
	})
	t.Run("ConsoleURL", func(t *testing.T) {
		wantOK(t, runCheck(t, storeconfig.Settings{DestinationPath: "https://console.cloud.google.com/storage/browser/wal/base", Provider: "google"}, env))
	})
	t.Run("MissingBucket", func(t *testing.T) {
		wantFailure(t, runCheck(t, storeconfig.Settings{DestinationPath: "gs://nope/base"}, env), check.ClassBucket, `bucket "nope" does not exist`)
	})
}

func freePort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port
}
