package testservers

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/objectstore-webhook/objectstore-webhook/certs"
)

// MinIOKMSKey is the name of the static KMS key every test MinIO has, usable as an aws:kms key ID.
const MinIOKMSKey = "walarchiver-test-key"

// minioKMSSecret is a fixed 32-byte test key, base64; it protects nothing but test data.
const minioKMSSecret = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="

// MinIO is a running MinIO server.
type MinIO struct {
	// URL is the S3 endpoint, http://127.0.0.1:PORT (https:// when started with a certificate).
	URL       string
	AccessKey string
	SecretKey string
	Region    string
	// CAFile is the PEM file of the CA that signed the serving certificate; empty without TLS.
	CAFile string
	// DataDir is the server's drive.
	DataDir string
	proc    *process
	client  *http.Client
}

// MinIOOptions configure StartMinIO.
type MinIOOptions struct {
	// CA and Serving, when set, make MinIO serve TLS with Serving (which must name 127.0.0.1); CA is
	// written to CAFile so clients can be told to trust it.
	CA      *certs.KeyPair
	Serving *certs.KeyPair
	// Region is the server's site region (MINIO_SITE_REGION), default us-east-1. MinIO then refuses
	// requests signed for another region and names its own in x-amz-bucket-region, as AWS does.
	Region string
}

// StartMinIO starts MinIO (MINIO_BIN, default <module>/bin/minio) and waits until it is live.
func StartMinIO(t testing.TB, opts MinIOOptions) *MinIO {
	t.Helper()
	bin := Binary(t, "MINIO_BIN", "bin/minio", "minio")
	dir := t.TempDir()
	m := &MinIO{AccessKey: "walarchiver", SecretKey: "walarchiver-secret-key", Region: "us-east-1",
		DataDir: filepath.Join(dir, "data"), client: &http.Client{}}
	if opts.Region != "" {
		m.Region = opts.Region
	}
	port, console := FreePort(t), FreePort(t)
	args := []string{"server", "--quiet", "--address", hostPort(port), "--console-address", hostPort(console)}
	scheme := "http"
	if opts.Serving != nil {
		certsDir := filepath.Join(dir, "certs")
		if err := os.MkdirAll(certsDir, 0o700); err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(certsDir, "public.crt"), opts.Serving.CertPEM)
		writeFile(t, filepath.Join(certsDir, "private.key"), opts.Serving.KeyPEM)
		args = append(args, "--certs-dir", certsDir)
		scheme = "https"
		pool := x509.NewCertPool()
		if opts.CA != nil {
			m.CAFile = filepath.Join(dir, "ca.crt")
			writeFile(t, m.CAFile, opts.CA.CertPEM)
			pool.AppendCertsFromPEM(opts.CA.CertPEM)
		}
		m.client = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	}
	args = append(args, m.DataDir)
	m.URL = scheme + "://" + hostPort(port)
	m.proc = start(t, "minio", []string{
		"MINIO_ROOT_USER=" + m.AccessKey, "MINIO_ROOT_PASSWORD=" + m.SecretKey,
		"MINIO_UPDATE=off", "MINIO_BROWSER=off", "MINIO_CI_CD=1", "MINIO_SITE_REGION=" + m.Region,
		// A static KMS key lets the server-side encryption modes (AES256, aws:kms) be exercised.
		"MINIO_KMS_SECRET_KEY=" + MinIOKMSKey + ":" + minioKMSSecret,
	}, bin, args...)
	m.proc.waitHTTP(t, m.client, m.URL+"/minio/health/live", func(r *http.Response) bool { return r.StatusCode == http.StatusOK })
	return m
}

// Client returns a raw SDK client for the root user (path style, checksums only when required).
func (m *MinIO) Client() *s3.Client {
	return s3.New(s3.Options{
		Region:                     m.Region,
		BaseEndpoint:               aws.String(m.URL),
		UsePathStyle:               true,
		Credentials:                credentials.NewStaticCredentialsProvider(m.AccessKey, m.SecretKey, ""),
		HTTPClient:                 m.client,
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	})
}

// CreateBucket creates bucket, failing the test on error.
func (m *MinIO) CreateBucket(t testing.TB, bucket string) {
	t.Helper()
	// /minio/health/live answers before the object layer is up; until it is, requests get 503
	// XMinioServerNotInitialized (for seconds on a loaded machine).
	deadline := time.Now().Add(time.Minute)
	for {
		_, err := m.Client().CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(bucket)})
		if err == nil {
			return
		}
		if !strings.Contains(err.Error(), "XMinioServerNotInitialized") || time.Now().After(deadline) {
			t.Fatalf("testservers: creating MinIO bucket %q: %v", bucket, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// Output returns the server's log so far.
func (m *MinIO) Output() string { return m.proc.Output() }

// PID is the server's process id, for benchmarks that account for its CPU time.
func (m *MinIO) PID() int { return m.proc.cmd.Process.Pid }

func writeFile(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatalf("testservers: %v", err)
	}
}
