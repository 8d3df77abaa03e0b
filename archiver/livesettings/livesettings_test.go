package livesettings

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/objectstore-webhook/objectstore-webhook/internal/contract"
	"github.com/objectstore-webhook/objectstore-webhook/internal/harness/testservers"
)

func envOf(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestPrecedence(t *testing.T) {
	dir := t.TempDir()
	settings := filepath.Join(dir, "settings.json")
	creds := filepath.Join(dir, "creds")
	if err := os.Mkdir(creds, 0o700); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(settings, []byte(`{"WAL_ARCHIVER_COMPRESSION":"zstd","WAL_ARCHIVER_TAGS":"","AWS_REGION":"from-file"}`), 0o600)
	testservers.KubeletSwap(t, creds, map[string]string{"AWS_ACCESS_KEY_ID": "AKIDFILE\r\n", "AWS_REGION": "from-creds", "AWS_SECRET_ACCESS_KEY": "s\n"})
	src := &Source{
		Flags: map[string]string{contract.EndpointURL.Env: "http://flag"},
		Env: envOf(map[string]string{
			contract.SettingsFile.Env: settings, contract.CredentialsDir.Env: creds,
			contract.EndpointURL.Env: "http://env", contract.Compression.Env: "gzip", contract.Tags.Env: `{"a":"b"}`,
			"AWS_ACCESS_KEY_ID": "AKIDENV", contract.Encryption.Env: "AES256",
		}),
	}
	sn := src.Load()
	if err := sn.Problem(); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{
		contract.EndpointURL.Env: "http://flag", // flag over everything
		contract.Compression.Env: "zstd",        // file over environment
		contract.Tags.Env:        "",            // a key present but empty still wins
		"AWS_REGION":             "from-file",   // file over credentials
		"AWS_ACCESS_KEY_ID":      "AKIDFILE",    // credentials over environment, \r\n trimmed
		"AWS_SECRET_ACCESS_KEY":  "s",           //
		contract.Encryption.Env:  "AES256",      // environment when nothing else has it
	} {
		if got := sn.Getenv(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if got := sn.Get(contract.Tags, "def"); got != "def" {
		t.Errorf("an empty file value should mean unset (the default), got %q", got)
	}
	if !sn.HasCredential("AWS_ACCESS_KEY_ID") || sn.HasCredential("AWS_SESSION_TOKEN") {
		t.Errorf("HasCredential: present file not seen, or absent file seen")
	}
}

func TestBrokenSettingsFileIsAProblem(t *testing.T) {
	dir := t.TempDir()
	settings := filepath.Join(dir, "settings.json")
	os.WriteFile(settings, []byte(`{"WAL_ARCHIVER_COMPRESSION":`), 0o600)
	sn := (&Source{Env: envOf(map[string]string{contract.SettingsFile.Env: settings, contract.Compression.Env: "gzip"})}).Load()
	err := sn.Problem()
	if err == nil || !strings.Contains(err.Error(), settings) || !strings.Contains(err.Error(), "JSON") {
		t.Fatalf("Problem() = %v, want one naming %s and JSON", err, settings)
	}
	if got := sn.Getenv(contract.Compression.Env); got != "gzip" {
		t.Errorf("with a broken file the environment still answers, got %q", got)
	}
	// An absent file is the optional ConfigMap not there: no problem.
	sn = (&Source{Env: envOf(map[string]string{contract.SettingsFile.Env: filepath.Join(dir, "none")})}).Load()
	if err := sn.Problem(); err != nil {
		t.Errorf("absent settings file: %v", err)
	}
}

func TestFingerprintFollowsAtomicSwaps(t *testing.T) {
	dir := t.TempDir()
	creds := filepath.Join(dir, "creds")
	ca := filepath.Join(dir, "ca")
	for _, d := range []string{creds, ca} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	testservers.KubeletSwap(t, creds, map[string]string{"AWS_ACCESS_KEY_ID": "one"})
	testservers.KubeletSwap(t, ca, map[string]string{"ca.crt": "PEM1"})
	src := &Source{FingerprintFiles: DefaultFingerprintFiles, Env: envOf(map[string]string{
		contract.CredentialsDir.Env: creds, contract.EndpointCAFile.Env: filepath.Join(ca, "ca.crt")})}
	a := src.Load()
	if b := src.Load(); a.Fingerprint() != b.Fingerprint() {
		t.Fatal("fingerprint changed with nothing changed")
	}
	testservers.KubeletSwap(t, creds, map[string]string{"AWS_ACCESS_KEY_ID": "two"})
	b := src.Load()
	if a.Fingerprint() == b.Fingerprint() || b.Getenv("AWS_ACCESS_KEY_ID") != "two" {
		t.Fatalf("credential swap not seen: %q", b.Getenv("AWS_ACCESS_KEY_ID"))
	}
	testservers.KubeletSwap(t, ca, map[string]string{"ca.crt": "PEM2"})
	if c := src.Load(); c.Fingerprint() == b.Fingerprint() {
		t.Fatal("CA swap not seen")
	}
}

func TestWatchReportsChanges(t *testing.T) {
	dir := t.TempDir()
	settings := filepath.Join(dir, "s.json")
	os.WriteFile(settings, []byte(`{}`), 0o600)
	src := &Source{Env: envOf(map[string]string{contract.SettingsFile.Env: settings})}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	got := make(chan *Snapshot, 4)
	go src.Watch(ctx, 10*time.Millisecond, src.Load(), func(sn *Snapshot) { got <- sn })
	os.WriteFile(settings+".new", []byte(`{"WAL_ARCHIVER_COMPRESSION":"lz4"}`), 0o600)
	os.Rename(settings+".new", settings)
	sn := <-got
	if v := sn.Getenv(contract.Compression.Env); v != "lz4" {
		t.Fatalf("watched snapshot has compression %q, want lz4", v)
	}
}
