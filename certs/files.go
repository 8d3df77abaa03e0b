package certs

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/go-logr/logr"
)

// FilesConfig configures the files certificate mode: a serving certificate someone else writes into a
// directory (a mounted Secret from cert-manager or an operator's own tooling).
type FilesConfig struct {
	// Dir holds the pair; it must exist, the files may appear later.
	Dir string
	// CertName and KeyName are the file names in Dir; default tls.crt and tls.key, the keys of a
	// kubernetes.io/tls Secret.
	CertName, KeyName string
	// Interval is how often the files are re-read whether or not an event came, in case one was missed
	// (some volume types and editors do not produce one); 0 means 10 s, as controller-runtime's certwatcher.
	Interval time.Duration

	now func() time.Time
}

// Files serves the pair found in a directory and picks up a new one without restart. It watches the
// directory rather than the files: a Secret volume swaps a "..data" symlink, so the files' own inodes never
// change and a watch on them would miss every update. A new pair that does not load (half written, key
// not matching, expired) leaves the old one in service and is logged.
type Files struct {
	cfg FilesConfig
	log logr.Logger

	cert atomic.Pointer[tls.Certificate]

	mu               sync.Mutex // serialises reloads and guards the bytes below
	lastCert, lastKy []byte     // what was last read, loaded or not, to log a given bad pair once
}

var _ Provider = (*Files)(nil)

// NewFiles checks the directory and tries a first load; a missing or bad pair is not an error (Ready
// stays false and Run keeps looking), a missing directory is.
func NewFiles(cfg FilesConfig, log logr.Logger) (*Files, error) {
	if cfg.CertName == "" {
		cfg.CertName = "tls.crt"
	}
	if cfg.KeyName == "" {
		cfg.KeyName = "tls.key"
	}
	if cfg.Interval <= 0 {
		cfg.Interval = 10 * time.Second
	}
	if cfg.now == nil {
		cfg.now = time.Now
	}
	st, err := os.Stat(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("certificate directory (--cert-dir): %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("certificate directory (--cert-dir) %s is not a directory", cfg.Dir)
	}
	f := &Files{cfg: cfg, log: log.WithValues("certDir", cfg.Dir)}
	if !f.Reload() {
		f.log.Info("no valid certificate pair yet; not ready until one is written", "cert", cfg.CertName, "key", cfg.KeyName)
	}
	return f, nil
}

// GetCertificate returns the pair in service, or an error naming the directory when none has loaded yet.
func (f *Files) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	if c := f.cert.Load(); c != nil {
		return c, nil
	}
	return nil, fmt.Errorf("no valid %s and %s in %s yet", f.cfg.CertName, f.cfg.KeyName, f.cfg.Dir)
}

// Ready reports whether a valid pair has loaded.
func (f *Files) Ready() bool { return f.cert.Load() != nil }

// Run watches the directory until ctx ends, reloading on every event and every Interval.
func (f *Files) Run(ctx context.Context) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("watching %s: %w", f.cfg.Dir, err)
	}
	defer w.Close()
	if err := w.Add(f.cfg.Dir); err != nil {
		return fmt.Errorf("watching %s: %w", f.cfg.Dir, err)
	}
	// Files written between NewFiles and the watch starting would otherwise wait for the next tick.
	f.Reload()
	tick := time.NewTicker(f.cfg.Interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-w.Events:
			if !ok {
				return nil
			}
			// Any event may be the symlink swap; the names involved ("..data", "..2024_…") say nothing
			// reliable about which files changed, and a re-read of two small files is cheap.
			_ = ev
			f.Reload()
		case err, ok := <-w.Errors:
			if !ok {
				return nil
			}
			f.log.Error(err, "certificate directory watch reported an error; the periodic re-read continues")
		case <-tick.C:
			f.Reload()
		}
	}
}

// Reload reads the pair now and puts it in service if it is new and valid. It reports whether the pair in
// service changed.
func (f *Files) Reload() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	certPEM, errC := os.ReadFile(filepath.Join(f.cfg.Dir, f.cfg.CertName))
	keyPEM, errK := os.ReadFile(filepath.Join(f.cfg.Dir, f.cfg.KeyName))
	if errC != nil || errK != nil {
		// Logged when the files go away, not on every tick while they stay away.
		if f.lastCert != nil || f.lastKy != nil {
			f.log.Info("certificate files unreadable; the last valid pair stays in service", "cert", errText(errC), "key", errText(errK))
		}
		f.lastCert, f.lastKy = nil, nil
		return false
	}
	if bytes.Equal(certPEM, f.lastCert) && bytes.Equal(keyPEM, f.lastKy) {
		return false
	}
	f.lastCert, f.lastKy = certPEM, keyPEM
	pair, err := f.parse(certPEM, keyPEM)
	if err != nil {
		if f.cert.Load() != nil {
			f.log.Error(err, "new certificate pair rejected; the previous pair stays in service")
		} else {
			f.log.Error(err, "certificate pair rejected; not ready until a valid pair is written")
		}
		return false
	}
	f.cert.Store(pair)
	leaf := pair.Leaf
	f.log.Info("serving certificate loaded", "serial", leaf.SerialNumber.Text(16), "dnsNames", leaf.DNSNames,
		"notAfter", leaf.NotAfter.UTC().Format(time.RFC3339))
	return true
}

// parse loads a pair and refuses one that cannot serve: a key that does not match, or a certificate outside
// its validity period, which every client would reject anyway.
func (f *Files) parse(certPEM, keyPEM []byte) (*tls.Certificate, error) {
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("%s and %s do not form a key pair: %w", f.cfg.CertName, f.cfg.KeyName, err)
	}
	leaf := pair.Leaf
	now := f.cfg.now()
	if now.After(leaf.NotAfter) {
		return nil, fmt.Errorf("certificate %s expired at %s", leaf.SerialNumber.Text(16), leaf.NotAfter.UTC().Format(time.RFC3339))
	}
	if now.Before(leaf.NotBefore) {
		return nil, fmt.Errorf("certificate %s is not valid before %s", leaf.SerialNumber.Text(16), leaf.NotBefore.UTC().Format(time.RFC3339))
	}
	return &pair, nil
}

func errText(err error) string {
	if err == nil {
		return "ok"
	}
	return err.Error()
}
