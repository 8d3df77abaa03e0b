package livesettings

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/objectstore-webhook/objectstore-webhook/internal/contract"
)

// CredentialNames are the standard variables a credentials directory may hold, one file each (the pod
// webhook projects the store's Secrets under these names).
var CredentialNames = []string{
	contract.EnvAWSAccessKeyID, contract.EnvAWSSecretAccessKey, contract.EnvAWSSessionToken, contract.EnvAWSRegion,
	contract.EnvAzureConnectionString, contract.EnvAzureStorageAccount, contract.EnvAzureStorageKey, contract.EnvAzureSASToken,
}

// Source says where settings come from. Flags maps an environment variable name to the value of its flag,
// for the flags given on the command line only. Env nil means os.LookupEnv.
type Source struct {
	Flags map[string]string
	Env   func(string) (string, bool)
	// FingerprintFiles names more settings whose values are paths of files whose content the fingerprint
	// covers (the endpoint CA, the Google JSON, the replication certificate, key and root CA).
	FingerprintFiles []string
}

// DefaultFingerprintFiles are the settings and variables naming files a change of which needs a new
// store client or a new replication connection.
var DefaultFingerprintFiles = []string{
	contract.EndpointCAFile.Env, contract.EnvGoogleCredentials,
	contract.EnvPGSSLCert, contract.EnvPGSSLKey, contract.EnvPGSSLRootCert,
}

// Snapshot is the settings as read at one moment.
type Snapshot struct {
	src      *Source
	file     map[string]string // the settings file's keys; nil when absent or broken
	filePath string
	fileErr  error
	credDir  string
	creds    map[string]string // credential files present in credDir, trimmed
	credErr  error
	sum      string
}

// Load reads the settings file and the credentials directory. A broken settings file or an unreadable
// directory is not an error here: it is the snapshot's Problem, so a long-running caller stays up.
func (s *Source) Load() *Snapshot {
	sn := &Snapshot{src: s}
	h := sha256.New()
	sn.filePath = s.base(contract.SettingsFile.Env)
	if sn.filePath != "" {
		b, err := os.ReadFile(sn.filePath)
		fmt.Fprintf(h, "settings %q %d\n", sn.filePath, len(b))
		h.Write(b)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			// The ConfigMap is optional: its absence means the environment alone.
		case err != nil:
			sn.fileErr = fmt.Errorf("settings file %s (--%s, %s): %v", sn.filePath, contract.SettingsFile.Flag, contract.SettingsFile.Env, err)
		default:
			var m map[string]string
			if err := json.Unmarshal(b, &m); err != nil {
				sn.fileErr = fmt.Errorf("settings file %s (--%s, %s) is not a JSON object of strings such as {\"%s\":\"s3://bucket/path\"}: %v",
					sn.filePath, contract.SettingsFile.Flag, contract.SettingsFile.Env, contract.DestinationPath.Env, err)
			} else {
				if m == nil {
					m = map[string]string{}
				}
				sn.file = m
			}
		}
	}
	sn.credDir = sn.lookupNoCreds(contract.CredentialsDir.Env)
	if sn.credDir != "" {
		sn.creds = map[string]string{}
		for _, n := range CredentialNames {
			b, err := os.ReadFile(filepath.Join(sn.credDir, n))
			if errors.Is(err, fs.ErrNotExist) {
				fmt.Fprintf(h, "cred %s absent\n", n)
				continue
			}
			if err != nil && sn.credErr == nil {
				sn.credErr = fmt.Errorf("credentials: %s in %s: %v", n, sn.credDir, err)
				continue
			}
			fmt.Fprintf(h, "cred %s %d\n", n, len(b))
			h.Write(b)
			sn.creds[n] = strings.TrimRight(string(b), "\r\n")
		}
	}
	for _, name := range s.FingerprintFiles {
		p, _ := sn.Lookup(name)
		if p == "" {
			continue
		}
		b, err := os.ReadFile(p)
		fmt.Fprintf(h, "file %s %q %d %v\n", name, p, len(b), err != nil)
		h.Write(b)
	}
	sn.sum = hex.EncodeToString(h.Sum(nil))
	return sn
}

// base reads a setting from the flag or the environment only: where the settings file and the credentials
// directory are cannot itself come from them.
func (s *Source) base(env string) string {
	if v, ok := s.Flags[env]; ok {
		return v
	}
	v, _ := s.env(env)
	return v
}

func (s *Source) env(name string) (string, bool) {
	if s.Env == nil {
		return os.LookupEnv(name)
	}
	return s.Env(name)
}

// lookupNoCreds is Lookup without the credentials directory: where that directory is cannot come from it.
func (sn *Snapshot) lookupNoCreds(name string) string {
	v, _ := sn.lookup(name, false)
	return v
}

// Lookup returns a variable's value by precedence flag > settings file (a key present wins, even empty) >
// credentials directory (standard credential names only) > environment. ok is false when none has it.
func (sn *Snapshot) Lookup(name string) (string, bool) { return sn.lookup(name, true) }

func (sn *Snapshot) lookup(name string, withCreds bool) (string, bool) {
	if v, ok := sn.src.Flags[name]; ok {
		return v, true
	}
	if v, ok := sn.file[name]; ok {
		return v, true
	}
	if withCreds {
		if v, ok := sn.creds[name]; ok {
			return v, true
		}
	}
	if v, ok := sn.src.env(name); ok && v != "" {
		return v, true
	}
	return "", false
}

// Getenv is Lookup as os.Getenv, for the store drivers' variables.
func (sn *Snapshot) Getenv(name string) string {
	v, _ := sn.Lookup(name)
	return v
}

// Get returns a setting's value, or def when it is unset or empty.
func (sn *Snapshot) Get(st contract.Setting, def string) string {
	if v := sn.Getenv(st.Env); v != "" {
		return v
	}
	return def
}

// Problem names what is wrong with the files themselves (a settings file that is not JSON, an unreadable
// credential file); nil when they are readable.
func (sn *Snapshot) Problem() error {
	if sn.fileErr != nil {
		return sn.fileErr
	}
	return sn.credErr
}

// CredentialsDir is the credentials directory in use, "" when none is set.
func (sn *Snapshot) CredentialsDir() string { return sn.credDir }

// HasCredential says whether the credentials directory holds a non-empty file for name.
func (sn *Snapshot) HasCredential(name string) bool { return sn.creds[name] != "" }

// Fingerprint changes whenever the content of a file behind the settings does: the settings file, every
// credential file, and the files FingerprintFiles names. A kubelet's atomic ..data swap changes it.
func (sn *Snapshot) Fingerprint() string { return sn.sum }

// Watch loads the settings every interval and calls changed with each snapshot whose fingerprint differs
// from the last one's (starting from last), until ctx ends.
func (s *Source) Watch(ctx context.Context, interval time.Duration, last *Snapshot, changed func(*Snapshot)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		sn := s.Load()
		if last == nil || sn.Fingerprint() != last.Fingerprint() {
			last = sn
			changed(sn)
		}
	}
}
