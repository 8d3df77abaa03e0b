package testservers

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"

	"github.com/objectstore-webhook/objectstore-webhook/certs"
)

// Azurite's well-known development account (dist/src/blob/utils/constants.js); it is public by design.
const (
	AzuriteAccount = "devstoreaccount1"
	AzuriteKey     = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)

// Azurite is a running Azurite blob service.
type Azurite struct {
	// BlobEndpoint is the account's path-style URL, http://127.0.0.1:PORT/devstoreaccount1.
	BlobEndpoint string
	Account      string
	Key          string
	// CAFile is the PEM file of the CA that signed the serving certificate; empty without TLS.
	CAFile string
	proc   *process
	client *http.Client
}

// AzuriteOptions configure StartAzurite.
type AzuriteOptions struct {
	// CA and Serving, when set, make Azurite serve HTTPS with Serving (which must name 127.0.0.1); CA is
	// written to CAFile.
	CA      *certs.KeyPair
	Serving *certs.KeyPair
}

// StartAzurite starts azurite-blob (AZURITE_BIN, default <module>/bin/azurite/node_modules/.bin/azurite-blob)
// and waits until it answers HTTP. At most one AzuriteOptions is used.
func StartAzurite(t testing.TB, opts ...AzuriteOptions) *Azurite {
	t.Helper()
	bin := Binary(t, "AZURITE_BIN", "bin/azurite/node_modules/.bin/azurite-blob", "azurite")
	dir := t.TempDir()
	port := FreePort(t)
	a := &Azurite{Account: AzuriteAccount, Key: AzuriteKey}
	// azblob sends an x-ms-version newer than Azurite 3.35 knows: --skipApiVersionCheck is required.
	args := []string{"--blobHost", "127.0.0.1", "--blobPort", fmt.Sprint(port), "--location", filepath.Join(dir, "data"),
		"--skipApiVersionCheck", "--disableTelemetry", "--loose", "--silent"}
	scheme, client := "http", &http.Client{}
	if len(opts) > 0 && opts[0].Serving != nil {
		o := opts[0]
		certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
		writeFile(t, certFile, o.Serving.CertPEM)
		writeFile(t, keyFile, o.Serving.KeyPEM)
		args = append(args, "--cert", certFile, "--key", keyFile)
		scheme = "https"
		pool := x509.NewCertPool()
		if o.CA != nil {
			a.CAFile = filepath.Join(dir, "ca.crt")
			writeFile(t, a.CAFile, o.CA.CertPEM)
			pool.AppendCertsFromPEM(o.CA.CertPEM)
		}
		client = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	}
	a.BlobEndpoint = fmt.Sprintf("%s://%s/%s", scheme, hostPort(port), a.Account)
	a.client = client
	a.proc = start(t, "azurite", nil, bin, args...)
	// Any HTTP answer (an unauthenticated request gets 403) means it is serving.
	a.proc.waitHTTP(t, client, a.BlobEndpoint+"?comp=list", func(*http.Response) bool { return true })
	return a
}

// ConnectionString is the account's connection string with the path-style BlobEndpoint.
func (a *Azurite) ConnectionString() string {
	scheme := "http"
	if a.CAFile != "" {
		scheme = "https"
	}
	return fmt.Sprintf("DefaultEndpointsProtocol=%s;AccountName=%s;AccountKey=%s;BlobEndpoint=%s;", scheme, a.Account, a.Key, a.BlobEndpoint)
}

// CreateContainer creates container, failing the test on error.
func (a *Azurite) CreateContainer(t testing.TB, container string) {
	t.Helper()
	cli, err := azblob.NewClientFromConnectionString(a.ConnectionString(), &azblob.ClientOptions{
		ClientOptions: azcore.ClientOptions{Transport: a.client}})
	if err != nil {
		t.Fatalf("testservers: Azurite client: %v", err)
	}
	if _, err := cli.CreateContainer(context.Background(), container, nil); err != nil {
		t.Fatalf("testservers: creating Azurite container %q: %v", container, err)
	}
}

// Output returns the server's log so far.
func (a *Azurite) Output() string { return a.proc.Output() }
