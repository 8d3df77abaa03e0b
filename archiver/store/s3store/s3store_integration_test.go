//go:build integration

package s3store_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/store"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/store/s3store"
	"github.com/objectstore-webhook/objectstore-webhook/internal/harness/storetest"
	"github.com/objectstore-webhook/objectstore-webhook/internal/harness/testservers"
)

func open(t testing.TB, m *testservers.MinIO, mutate func(*s3store.Config)) *s3store.Store {
	t.Helper()
	cfg := s3store.Config{
		Bucket:      "wal",
		Endpoint:    m.URL,
		CAFile:      m.CAFile,
		Credentials: &s3store.Credentials{AccessKeyID: m.AccessKey, SecretAccessKey: m.SecretKey},
		MaxAttempts: 1,
	}
	if mutate != nil {
		mutate(&cfg)
	}
	s, err := s3store.New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("s3store.New: %v", err)
	}
	return s
}

func TestConformanceMinIO(t *testing.T) {
	m := testservers.StartMinIO(t, testservers.MinIOOptions{})
	m.CreateBucket(t, "wal")
	storetest.Run(t, storetest.Target{
		Store:             open(t, m, func(c *s3store.Config) { c.ListPageSize = 7; c.MaxAttempts = 0; c.PartSize = 5 << 20 }),
		ParallelPartSize:  5 << 20,
		ListPageSize:      7,
		MissingBucket:     open(t, m, func(c *s3store.Config) { c.Bucket = "no-such-bucket" }),
		MissingBucketName: "no-such-bucket",
		BadCredentials: open(t, m, func(c *s3store.Config) {
			c.Credentials = &s3store.Credentials{AccessKeyID: m.AccessKey, SecretAccessKey: "wrong-secret-key"}
		}),
	})
}

// TestEncryptionAndTags checks the headers the driver sends reach the object: SSE mode and URL-encoded tags.
func TestEncryptionAndTags(t *testing.T) {
	m := testservers.StartMinIO(t, testservers.MinIOOptions{})
	m.CreateBucket(t, "wal")
	ctx := context.Background()
	for _, c := range []struct{ mode, key string }{{"AES256", ""}, {"aws:kms", testservers.MinIOKMSKey}} {
		s := open(t, m, func(cfg *s3store.Config) { cfg.Encryption, cfg.KMSKeyID = c.mode, c.key })
		key := "sse/" + strings.ReplaceAll(c.mode, ":", "-")
		body, sum := storetest.Payload(1, 1<<20)
		tags := map[string]string{"cluster": "pg-1", "odd": "a b=c/d:e+f_g.h-i"}
		if err := s.Create(ctx, key, bytes.NewReader(body), int64(len(body)), store.PutOptions{Metadata: map[string]string{store.MetaSHA256: sum}, Tags: tags}); err != nil {
			t.Fatalf("%s: Create: %v", c.mode, err)
		}
		head, err := m.Client().HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("wal"), Key: aws.String(key)})
		if err != nil {
			t.Fatal(err)
		}
		if string(head.ServerSideEncryption) != c.mode {
			t.Fatalf("object encrypted with %q, want %q", head.ServerSideEncryption, c.mode)
		}
		got, err := m.Client().GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: aws.String("wal"), Key: aws.String(key)})
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]string{}
		for _, tag := range got.TagSet {
			seen[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
		}
		if len(seen) != len(tags) || seen["cluster"] != "pg-1" || seen["odd"] != tags["odd"] {
			t.Fatalf("tags = %v, want %v", seen, tags)
		}
	}
}

// TestPayloadHashIsVerified shows the sha256 metadata doubles as the signed payload hash: a body that does
// not match it is refused by the service instead of being stored.
func TestPayloadHashIsVerified(t *testing.T) {
	m := testservers.StartMinIO(t, testservers.MinIOOptions{})
	m.CreateBucket(t, "wal")
	s := open(t, m, nil)
	body, _ := storetest.Payload(1, 4096)
	_, otherSum := storetest.Payload(2, 4096)
	err := s.Create(context.Background(), "corrupt", bytes.NewReader(body), int64(len(body)), storetest.Meta(otherSum))
	if err == nil || errors.Is(err, store.ErrExists) {
		t.Fatalf("Create with a body not matching its sha256: got %v, want a refusal", err)
	}
	if _, err := s.Stat(context.Background(), "corrupt"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a refused body was stored: Stat = %v", err)
	}
	// A stream without a hash is accepted unsigned.
	if err := s.Put(context.Background(), "unsigned", struct{ io.Reader }{bytes.NewReader(body)}, int64(len(body)), store.PutOptions{}); err != nil {
		t.Fatalf("unsigned stream: %v", err)
	}
}

// TestRegionFromMinIO: MinIO with a site region refuses requests signed for another one, as AWS does, and
// names its region on an unsigned HeadBucket. With no region configured the driver finds it; with a
// wrong one configured it is refused with the hint to set AWS_REGION.
func TestRegionFromMinIO(t *testing.T) {
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	m := testservers.StartMinIO(t, testservers.MinIOOptions{Region: "eu-west-2"})
	m.CreateBucket(t, "wal")
	ctx := context.Background()
	found := open(t, m, nil)
	body, sum := storetest.Payload(1, 4096)
	if err := found.Create(ctx, "region/a", bytes.NewReader(body), int64(len(body)), storetest.Meta(sum)); err != nil {
		t.Fatalf("with no region configured: %v", err)
	}
	if got := found.Region(ctx); got != "eu-west-2" {
		t.Fatalf("driver signs for %q, want MinIO's eu-west-2", got)
	}
	wrong := open(t, m, func(c *s3store.Config) { c.Region = "us-east-1" })
	err := wrong.Create(ctx, "region/b", bytes.NewReader(body), int64(len(body)), storetest.Meta(sum))
	if err == nil || !strings.Contains(err.Error(), "set AWS_REGION to the bucket's region") {
		t.Fatalf("with the wrong region configured: got %v, want a refusal naming AWS_REGION", err)
	}
}

func TestPrivateCA(t *testing.T) {
	ca, serving := testservers.LocalTLS(t, "wal-archiver test CA")
	m := testservers.StartMinIO(t, testservers.MinIOOptions{CA: ca, Serving: serving})
	m.CreateBucket(t, "wal")

	trusted := open(t, m, nil)
	if err := trusted.Put(context.Background(), "tls/probe", strings.NewReader("x"), 1, store.PutOptions{}); err != nil {
		t.Fatalf("with the CA file: %v", err)
	}
	untrusted := open(t, m, func(c *s3store.Config) { c.CAFile = "" })
	_, err := untrusted.List(context.Background(), "tls/")
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("without the CA file: got %v, want a certificate verification error", err)
	}
}
