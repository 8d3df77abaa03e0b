//go:build integration

package stream

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/metrics"
	"github.com/objectstore-webhook/objectstore-webhook/certs"
	"github.com/objectstore-webhook/objectstore-webhook/internal/contract"
	"github.com/objectstore-webhook/objectstore-webhook/internal/harness/testservers"
)

// TestBinaryAuthenticatesWithClientCertificate runs `wal-archiver stream` with exactly the connection
// environment the pod webhook injects (PGHOST=localhost, PGUSER=streaming_replica, verify-ca with the
// replication client certificate and the server CA as files) against a PostgreSQL that, like
// CloudNativePG's, lets streaming_replica in only with a certificate. Without the certificate the same
// user is refused, so the archive can only come from the certificate path.
func TestBinaryAuthenticatesWithClientCertificate(t *testing.T) {
	m := testservers.StartMinIO(t, testservers.MinIOOptions{})
	m.CreateBucket(t, bucket)
	st := minioStore(t, m)
	pg := primary(t)

	now := time.Now()
	ca, err := certs.NewCA("test-server-ca", time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	server, err := certs.IssueServing(ca, []string{"localhost"}, []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1")}, time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	clientCert, clientKey := issueClient(t, ca, contract.ReplicationUser, now)

	// The server's files belong to postgres (it refuses a key others can read); the archiver's are
	// the mounted Secrets of the pod.
	tlsDir := filepath.Join(pg.Dir, "tls")
	if err := os.Mkdir(tlsDir, 0o700); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"server.crt": server.CertPEM, "server.key": server.KeyPEM, "ca.crt": ca.CertPEM} {
		if err := os.WriteFile(filepath.Join(tlsDir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
		testservers.ChownPostgres(t, filepath.Join(tlsDir, name))
	}
	testservers.ChownPostgres(t, tlsDir)
	client := t.TempDir()
	files := map[string][]byte{"tls.crt": clientCert, "tls.key": clientKey, "ca.crt": ca.CertPEM}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(client, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}

	// streaming_replica: certificate only, over TLS only; everyone else as before.
	hbaPath := filepath.Join(pg.DataDir, "pg_hba.conf")
	hba, err := os.ReadFile(hbaPath)
	if err != nil {
		t.Fatal(err)
	}
	rules := "hostssl all,replication streaming_replica all cert\n" +
		"host all,replication streaming_replica all reject\n"
	if err := os.WriteFile(hbaPath, append([]byte(rules), hba...), 0o600); err != nil {
		t.Fatal(err)
	}
	pg.SQL(t, "CREATE ROLE streaming_replica WITH LOGIN REPLICATION")
	for _, set := range []string{
		"ALTER SYSTEM SET ssl_cert_file = '" + filepath.Join(tlsDir, "server.crt") + "'",
		"ALTER SYSTEM SET ssl_key_file = '" + filepath.Join(tlsDir, "server.key") + "'",
		"ALTER SYSTEM SET ssl_ca_file = '" + filepath.Join(tlsDir, "ca.crt") + "'",
		"ALTER SYSTEM SET ssl = on",
		"SELECT pg_reload_conf()",
	} {
		pg.SQL(t, set)
	}
	waitFor(t, 30*time.Second, func() bool { return pg.SQL(t, "SHOW ssl") == "on" }, func() string { return "ssl did not turn on" })

	pgEnv := []string{
		contract.EnvPGHost + "=localhost",
		contract.EnvPGPort + "=" + strconv.Itoa(pg.Port),
		contract.EnvPGUser + "=" + contract.ReplicationUser,
		contract.EnvPGSSLMode + "=verify-ca",
		contract.EnvPGSSLCert + "=" + filepath.Join(client, "tls.crt"),
		contract.EnvPGSSLKey + "=" + filepath.Join(client, "tls.key"),
		contract.EnvPGSSLRootCert + "=" + filepath.Join(client, "ca.crt"),
	}

	// Refused without the certificate: the rules above are in force.
	plain, err := pgconn.ParseConfig(fmt.Sprintf("host=127.0.0.1 port=%d user=%s dbname=postgres sslmode=disable",
		pg.Port, contract.ReplicationUser))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if conn, err := pgconn.ConnectConfig(ctx, plain); err == nil {
		conn.Close(ctx)
		t.Fatal("streaming_replica connected without TLS and a certificate")
	} else if !strings.Contains(err.Error(), "pg_hba.conf rejects") {
		t.Fatalf("streaming_replica without a certificate: %v, want a pg_hba.conf rejection", err)
	}

	// The same contract without the client certificate: refused by the server, which the archiver
	// must say as an error, not ready, and keep retrying.
	var noCert []string
	for _, e := range pgEnv {
		if !strings.HasPrefix(e, contract.EnvPGSSLCert+"=") && !strings.HasPrefix(e, contract.EnvPGSSLKey+"=") {
			noCert = append(noCert, e)
		}
	}
	refused := launch(t, m, "tls-refused", filepath.Join(t.TempDir(), "spool"), nil, noCert...)
	waitFor(t, time.Minute, func() bool {
		out := refused.out.String()
		return strings.Contains(out, `"level":"error"`) && strings.Contains(out, "cannot stream WAL from PostgreSQL") &&
			strings.Contains(out, "requires a valid client certificate")
	}, func() string { return "no error logged for the refused connection:\n" + refused.out.String() })
	if code, body := get(t, "http://"+refused.listen+"/readyz"); code == http.StatusOK || !strings.Contains(body, metrics.StateRetrying) {
		t.Errorf("/readyz of the refused archiver: %d %q, want not ready and %q", code, body, metrics.StateRetrying)
	}
	refused.kill9()

	p := launch(t, m, "tls", filepath.Join(t.TempDir(), "spool"), nil, pgEnv...)
	// A segment written after the archiver connected arrives in the store, byte for byte.
	waitFor(t, time.Minute, func() bool {
		select {
		case <-p.done:
			t.Fatalf("wal-archiver exited:\n%s", p.out.String())
		default:
		}
		return pg.SQL(t, "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'arch_tls' AND active") == "1"
	}, func() string { return "the archiver did not connect:\n" + p.out.String() })
	pg.SQL(t, "CREATE TABLE t AS SELECT g FROM generate_series(1, 1000) g")
	seg := switchWAL(t, pg)
	view := archiveView(t, st, "tls", "")
	view.waitArchived(t, seg, time.Minute)
	if view.checkAgainstPGWAL(t, pg) == 0 {
		t.Error("no archived segment could be compared with pg_wal")
	}
	if got := pg.SQL(t, "SELECT ssl::text FROM pg_stat_ssl JOIN pg_stat_replication USING (pid) WHERE usename = 'streaming_replica'"); got != "true" {
		t.Errorf("the archiver's replication connection uses TLS: %q, want true", got)
	}
	p.term(t)
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// issueClient signs a TLS client certificate whose common name is the PostgreSQL user, as
// CloudNativePG's replication certificate is.
func issueClient(t *testing.T, ca *certs.KeyPair, user string, now time.Time) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(now.UnixNano()),
		Subject:      pkix.Name{CommonName: user},
		NotBefore:    now.Add(-time.Minute),
		NotAfter:     now.Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, &key.PublicKey, ca.Key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
}
