package azurestore

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/store"
)

func TestMetadataNamesAreCSharpIdentifiers(t *testing.T) {
	in := map[string]string{store.MetaSHA256: "abc", "cluster": "pg"}
	az := toAzureMetadata(in)
	if az["walarchiver_sha256"] == nil || *az["walarchiver_sha256"] != "abc" {
		t.Fatalf("sent metadata %v", az)
	}
	for k := range az {
		if strings.ContainsAny(k, "-.") {
			t.Fatalf("metadata name %q is not a C# identifier", k)
		}
	}
	// The service may return names in another case.
	back := fromAzureMetadata(map[string]*string{"Walarchiver_sha256": az["walarchiver_sha256"], "Cluster": az["cluster"]})
	if back[store.MetaSHA256] != "abc" || back["cluster"] != "pg" {
		t.Fatalf("read metadata %v", back)
	}
}

func TestOnceSeeker(t *testing.T) {
	s := asSeeker(struct{ io.Reader }{strings.NewReader("hello")}, 5)
	// What the SDK does before sending: learn the length, rewind, rewind again for the first try.
	if n, err := s.Seek(0, io.SeekCurrent); n != 0 || err != nil {
		t.Fatal(n, err)
	}
	if n, err := s.Seek(0, io.SeekEnd); n != 5 || err != nil {
		t.Fatal(n, err)
	}
	if _, err := s.Seek(0, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(s)
	if string(b) != "hello" {
		t.Fatalf("read %q", b)
	}
	if _, err := s.Seek(0, io.SeekStart); err == nil {
		t.Fatal("a consumed stream claimed to rewind")
	}
	if _, ok := asSeeker(strings.NewReader("x"), 1).(*onceSeeker); ok {
		t.Fatal("a seekable body was wrapped as a stream")
	}
}

func TestNewRejects(t *testing.T) {
	for _, c := range []struct {
		cfg  Config
		want string
	}{
		{Config{}, "container name is required"},
		{Config{Container: "c"}, "no credentials"},
		{Config{Container: "c", AccountKey: "a2V5"}, "needs the storage account name"},
		{Config{Container: "c", AccountName: "a", AccountKey: "not base64!"}, "not valid base64"},
		{Config{Container: "c", SASToken: "sv=1"}, "account URL is required"},
		{Config{Container: "c", ConnectionString: "AccountKey=secretvalue"}, "could not be parsed"},
	} {
		_, err := New(c.cfg)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("New(%+v) = %v, want an error containing %q", c.cfg, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "secretvalue") {
			t.Errorf("an error quotes the secret: %v", err)
		}
	}
}

func TestURLHidesTheSASToken(t *testing.T) {
	s, err := New(Config{Container: "wal", AccountURL: "https://acct.blob.core.windows.net", SASToken: "?sv=2024&sig=SECRET"})
	if err != nil {
		t.Fatal(err)
	}
	if s.URL() != "https://acct.blob.core.windows.net/wal" {
		t.Fatalf("URL() = %q", s.URL())
	}
	if err := s.mapErr("get", "k", errors.New("x")); strings.Contains(err.Error(), "SECRET") {
		t.Fatalf("an error quotes the SAS: %v", err)
	}
}
