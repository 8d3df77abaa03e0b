package testservers

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
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
	proc         *process
}

// StartAzurite starts azurite-blob (AZURITE_BIN, default <module>/bin/azurite/node_modules/.bin/azurite-blob)
// and waits until it answers HTTP.
func StartAzurite(t testing.TB) *Azurite {
	t.Helper()
	bin := Binary(t, "AZURITE_BIN", "bin/azurite/node_modules/.bin/azurite-blob", "azurite")
	dir := t.TempDir()
	port := FreePort(t)
	a := &Azurite{Account: AzuriteAccount, Key: AzuriteKey}
	a.BlobEndpoint = fmt.Sprintf("http://%s/%s", hostPort(port), a.Account)
	// azblob sends an x-ms-version newer than Azurite 3.35 knows: --skipApiVersionCheck is required.
	a.proc = start(t, "azurite", nil, bin,
		"--blobHost", "127.0.0.1", "--blobPort", fmt.Sprint(port), "--location", filepath.Join(dir, "data"),
		"--skipApiVersionCheck", "--disableTelemetry", "--loose", "--silent")
	// Any HTTP answer (an unauthenticated request gets 403) means it is serving.
	a.proc.waitHTTP(t, &http.Client{}, a.BlobEndpoint+"?comp=list", func(*http.Response) bool { return true })
	return a
}

// ConnectionString is the account's connection string with the path-style BlobEndpoint.
func (a *Azurite) ConnectionString() string {
	return fmt.Sprintf("DefaultEndpointsProtocol=http;AccountName=%s;AccountKey=%s;BlobEndpoint=%s;", a.Account, a.Key, a.BlobEndpoint)
}

// CreateContainer creates container, failing the test on error.
func (a *Azurite) CreateContainer(t testing.TB, container string) {
	t.Helper()
	cli, err := azblob.NewClientFromConnectionString(a.ConnectionString(), nil)
	if err != nil {
		t.Fatalf("testservers: Azurite client: %v", err)
	}
	if _, err := cli.CreateContainer(context.Background(), container, nil); err != nil {
		t.Fatalf("testservers: creating Azurite container %q: %v", container, err)
	}
}

// Output returns the server's log so far.
func (a *Azurite) Output() string { return a.proc.Output() }
