package testservers

import (
	"net"
	"testing"
	"time"

	"github.com/objectstore-webhook/objectstore-webhook/certs"
)

// LocalTLS is a CA named name and a serving certificate it signed for localhost and 127.0.0.1, both
// valid for an hour: what a store emulator serves TLS with in a test (MinIOOptions, AzuriteOptions,
// FakeGCSOptions).
func LocalTLS(t testing.TB, name string) (ca, serving *certs.KeyPair) {
	t.Helper()
	now := time.Now()
	ca, err := certs.NewCA(name, time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	serving, err = certs.IssueServing(ca, []string{"localhost"}, []net.IP{net.ParseIP("127.0.0.1")}, time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	return ca, serving
}
