package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/objectstore-webhook/objectstore-webhook/internal/contract"
)

// Every subcommand reads its settings through newSettings: the settings file and the credentials
// directory answer both get (contract settings) and getenv (the SDKs' variables), under the flags.
func TestSettingsHonourFileAndCredentials(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "settings.json")
	creds := filepath.Join(dir, "credentials")
	if err := os.Mkdir(creds, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, []byte(`{"WAL_ARCHIVER_DESTINATION_PATH":"s3://from-file/p","WAL_ARCHIVER_COMPRESSION":""}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(creds, contract.EnvAWSSecretAccessKey), []byte("from-dir\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv(contract.DestinationPath.Env, "s3://from-env/p")
	t.Setenv(contract.Compression.Env, "gzip")
	t.Setenv(contract.EnvAWSSecretAccessKey, "from-env")
	t.Setenv(contract.CredentialsDir.Env, creds)
	s := newSettings("check", &bytes.Buffer{})
	if err := s.parse([]string{"--settings-file", file, "--server-name", "flag"}); err != nil {
		t.Fatal(err)
	}
	if got := s.get(contract.DestinationPath, ""); got != "s3://from-file/p" {
		t.Errorf("destination = %q, want the settings file's", got)
	}
	if got := s.get(contract.Compression, "none"); got != "none" {
		t.Errorf("compression = %q: an empty key in the settings file is unset, so the default", got)
	}
	if got := s.getenv(contract.EnvAWSSecretAccessKey); got != "from-dir" {
		t.Errorf("secret = %q, want the credential file's (trimmed)", got)
	}
	if got := s.get(contract.ServerName, ""); got != "flag" {
		t.Errorf("server name = %q, want the flag's", got)
	}
}

// check, the diagnostic, names a settings file that is not JSON instead of checking the environment's store.
func TestCheckNamesABrokenSettingsFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "settings.json")
	if err := os.WriteFile(file, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := runCheck([]string{"--settings-file", file}, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), file) {
		t.Errorf("check exit %d, stderr %q: want 1 naming %s", code, stderr.String(), file)
	}
}
