package certs

import (
	"context"
	"crypto/tls"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-logr/logr"
)

func newPair(t *testing.T, name string, now time.Time, lifetime time.Duration) *KeyPair {
	t.Helper()
	ca, err := NewCA("test-ca", 24*time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := IssueServing(ca, []string{name}, nil, lifetime, now)
	if err != nil {
		t.Fatal(err)
	}
	return leaf
}

// secretVolume writes the pair the way the kubelet updates a Secret volume: into a fresh timestamped
// directory, then an atomic rename of the "..data" symlink, with tls.crt and tls.key linking through it.
type secretVolume struct {
	dir string
	gen int
}

func (v *secretVolume) write(t *testing.T, certPEM, keyPEM []byte) {
	t.Helper()
	v.gen++
	gen := fmt.Sprintf("..gen_%d", v.gen)
	if err := os.Mkdir(filepath.Join(v.dir, gen), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"tls.crt": certPEM, "tls.key": keyPEM} {
		if err := os.WriteFile(filepath.Join(v.dir, gen, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	tmp := filepath.Join(v.dir, "..data_tmp")
	if err := os.Symlink(gen, tmp); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(v.dir, "..data")); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"tls.crt", "tls.key"} {
		link := filepath.Join(v.dir, name)
		if _, err := os.Lstat(link); os.IsNotExist(err) {
			if err := os.Symlink(filepath.Join("..data", name), link); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func served(t *testing.T, f *Files) string {
	t.Helper()
	c, err := f.GetCertificate(&tls.ClientHelloInfo{})
	if err != nil {
		return ""
	}
	return c.Leaf.DNSNames[0]
}

// eventually polls cond until it holds or a generous deadline passes; it asserts an outcome, not a speed.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting: %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestFilesRefusesAMissingDirectory(t *testing.T) {
	if _, err := NewFiles(FilesConfig{Dir: filepath.Join(t.TempDir(), "absent")}, logr.Discard()); err == nil {
		t.Fatal("a missing certificate directory was accepted")
	}
}

func TestFilesIsNotReadyUntilAPairIsWritten(t *testing.T) {
	dir := t.TempDir()
	f, err := NewFiles(FilesConfig{Dir: dir}, logr.Discard())
	if err != nil {
		t.Fatal(err)
	}
	if f.Ready() {
		t.Fatal("ready with an empty directory")
	}
	if _, err := f.GetCertificate(nil); err == nil {
		t.Fatal("a certificate was served from an empty directory")
	}
	pair := newPair(t, "first.example", time.Now(), time.Hour)
	(&secretVolume{dir: dir}).write(t, pair.CertPEM, pair.KeyPEM)
	if !f.Reload() || !f.Ready() || served(t, f) != "first.example" {
		t.Fatalf("a valid pair did not load: ready=%v served=%q", f.Ready(), served(t, f))
	}
}

func TestFilesFollowsSecretVolumeUpdatesWithoutPolling(t *testing.T) {
	dir := t.TempDir()
	vol := &secretVolume{dir: dir}
	now := time.Now()
	first := newPair(t, "first.example", now, time.Hour)
	vol.write(t, first.CertPEM, first.KeyPEM)
	// An interval far beyond the test proves the update arrives through the directory watch.
	f, err := NewFiles(FilesConfig{Dir: dir, Interval: time.Hour}, logr.Discard())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	if served(t, f) != "first.example" {
		t.Fatalf("serving %q, want first.example", served(t, f))
	}

	second := newPair(t, "second.example", now, time.Hour)
	vol.write(t, second.CertPEM, second.KeyPEM)
	eventually(t, "the second pair to be served", func() bool { return served(t, f) == "second.example" })

	// A certificate with someone else's key is rejected and the second pair stays in service.
	third := newPair(t, "third.example", now, time.Hour)
	vol.write(t, third.CertPEM, second.KeyPEM)
	// Then a valid fourth pair shows that the watch kept going past the bad one.
	fourth := newPair(t, "fourth.example", now, time.Hour)
	vol.write(t, fourth.CertPEM, fourth.KeyPEM)
	eventually(t, "the fourth pair to be served", func() bool { return served(t, f) == "fourth.example" })
}

func TestFilesKeepsTheOldPairWhenTheNewOneIsBad(t *testing.T) {
	dir := t.TempDir()
	vol := &secretVolume{dir: dir}
	now := time.Now()
	good := newPair(t, "good.example", now, time.Hour)
	vol.write(t, good.CertPEM, good.KeyPEM)
	f, err := NewFiles(FilesConfig{Dir: dir}, logr.Discard())
	if err != nil {
		t.Fatal(err)
	}
	other := newPair(t, "other.example", now, time.Hour)
	expired := newPair(t, "expired.example", now.Add(-3*time.Hour), time.Hour)
	for name, pair := range map[string][2][]byte{
		"key of another certificate": {other.CertPEM, good.KeyPEM},
		"expired certificate":        {expired.CertPEM, expired.KeyPEM},
		"not PEM":                    {[]byte("garbage"), []byte("garbage")},
		"empty files":                {nil, nil},
	} {
		vol.write(t, pair[0], pair[1])
		if f.Reload() {
			t.Errorf("%s: put in service", name)
		}
		if got := served(t, f); got != "good.example" {
			t.Errorf("%s: serving %q, want the previous good.example", name, got)
		}
	}
	if err := os.Remove(filepath.Join(dir, "tls.crt")); err != nil {
		t.Fatal(err)
	}
	f.Reload()
	if got := served(t, f); got != "good.example" || !f.Ready() {
		t.Errorf("after the files vanished: serving %q ready=%v, want the previous pair", got, f.Ready())
	}
}
