package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-logr/logr"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/metrics"
	"github.com/objectstore-webhook/objectstore-webhook/internal/contract"
)

// prepare names what stops archiving before any request is made: each case would otherwise reach the
// store (or crash), and the message must say which file and what would be right.
func TestPrepareNamesTheProblem(t *testing.T) {
	dir := t.TempDir()
	creds := filepath.Join(dir, "credentials")
	os.Mkdir(creds, 0o700)
	os.WriteFile(filepath.Join(creds, contract.EnvAWSAccessKeyID), []byte("AKID\n"), 0o600)
	notPEM := filepath.Join(dir, "ca.crt")
	os.WriteFile(notPEM, []byte("not a certificate"), 0o600)
	broken := filepath.Join(dir, "settings.json")
	os.WriteFile(broken, []byte("{"), 0o600)
	for _, tc := range []struct {
		name   string
		env    map[string]string
		reason string
		want   []string
	}{
		{"missing secret key file", map[string]string{contract.CredentialsDir.Env: creds},
			metrics.ProblemCredentials, []string{"credentials: no AWS_SECRET_ACCESS_KEY in " + creds, "s3Credentials.secretAccessKey"}},
		{"azure without any key", map[string]string{contract.CredentialsDir.Env: creds,
			contract.DestinationPath.Env: "https://acct.blob.core.windows.net/c/p"},
			metrics.ProblemCredentials, []string{"AZURE_STORAGE_CONNECTION_STRING", creds}},
		{"CA not PEM", map[string]string{contract.EndpointCAFile.Env: notPEM},
			metrics.ProblemCA, []string{"endpoint CA " + notPEM + " (--endpoint-ca-file): no PEM certificate"}},
		{"settings file not JSON", map[string]string{contract.SettingsFile.Env: broken},
			metrics.ProblemConfig, []string{broken, "JSON"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(contract.DestinationPath.Env, "s3://bucket/prefix")
			t.Setenv(contract.EnvAWSAccessKeyID, "")
			t.Setenv(contract.EnvAWSSecretAccessKey, "")
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			s := newSettings("stream", &bytes.Buffer{})
			if err := s.parse(nil); err != nil {
				t.Fatal(err)
			}
			_, p := prepare(context.Background(), s, &streamFlags{maxParallel: 1}, metrics.New(), logr.Discard())
			if p == nil {
				t.Fatal("prepare accepted it")
			}
			if p.reason != tc.reason {
				t.Errorf("reason %q, want %q (%v)", p.reason, tc.reason, p)
			}
			for _, w := range tc.want {
				if !strings.Contains(p.Error(), w) {
					t.Errorf("%q does not name %q", p.Error(), w)
				}
			}
		})
	}
}
