package archivertest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/compress"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/layout"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/metrics"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/store"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/storeconfig"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/stream"
	"github.com/objectstore-webhook/objectstore-webhook/internal/contract"
	"github.com/objectstore-webhook/objectstore-webhook/internal/harness/testservers"
)

// Target is one store, started for the test, as wal-archiver (Env) and barman-cloud (Dest, Flags, Env)
// reach it.
type Target struct {
	Kind string // s3 (MinIO), s3-tls (MinIO serving TLS), azure (Azurite) or gcs (fake-gcs-server)
	Dest string // the destination path
	// Env holds the credentials and the WAL_ARCHIVER_* settings (destination, server name).
	Env []string
	// Flags are barman-cloud's provider flags; nil for gcs, which Debian's barman cannot reach.
	Flags  []string
	Store  store.Store
	Layout layout.Layout
	Server string
}

// NewTarget starts the store kind with a bucket "wal" and opens it under prefix/<server>.
func NewTarget(t testing.TB, kind, server string) *Target {
	t.Helper()
	tg := &Target{Kind: kind, Server: server}
	switch kind {
	case "s3", "s3-tls":
		var opts testservers.MinIOOptions
		if kind == "s3-tls" {
			opts.CA, opts.Serving = testservers.LocalTLS(t, "archivertest CA")
		}
		m := testservers.StartMinIO(t, opts)
		m.CreateBucket(t, "wal")
		tg.Dest = "s3://wal/prefix"
		tg.Flags = []string{"--endpoint-url", m.URL}
		tg.Env = []string{"AWS_ACCESS_KEY_ID=" + m.AccessKey, "AWS_SECRET_ACCESS_KEY=" + m.SecretKey, "AWS_DEFAULT_REGION=" + m.Region,
			"AWS_REGION=" + m.Region, "AWS_EC2_METADATA_DISABLED=true", "WAL_ARCHIVER_ENDPOINT_URL=" + m.URL}
		if m.CAFile != "" {
			// barman-cloud (botocore) trusts AWS_CA_BUNDLE, as CloudNativePG sets it for an endpointCA.
			tg.Env = append(tg.Env, "AWS_CA_BUNDLE="+m.CAFile, "WAL_ARCHIVER_ENDPOINT_CA_FILE="+m.CAFile)
		}
	case "azure":
		a := testservers.StartAzurite(t)
		a.CreateContainer(t, "wal")
		tg.Dest = a.BlobEndpoint + "/wal/prefix"
		tg.Flags = []string{"--cloud-provider", "azure-blob-storage"}
		tg.Env = []string{"AZURE_STORAGE_CONNECTION_STRING=" + a.ConnectionString()}
	case "gcs":
		f := testservers.StartFakeGCS(t)
		f.CreateBucket(t, "wal")
		tg.Dest = "gs://wal/prefix"
		tg.Env = []string{"STORAGE_EMULATOR_HOST=" + f.Host}
	default:
		t.Fatalf("archivertest: unknown store %q; want s3, azure or gcs", kind)
	}
	tg.Env = append(tg.Env, "WAL_ARCHIVER_DESTINATION_PATH="+tg.Dest, "WAL_ARCHIVER_SERVER_NAME="+server, "TZ=UTC")
	tg.open(t)
	return tg
}

// open opens the target's store and layout from its Env.
func (tg *Target) open(t testing.TB) {
	t.Helper()
	st, loc, err := storeconfig.Open(context.Background(), storeconfig.SettingsFromEnv(tg.Getenv))
	if err != nil {
		t.Fatal(err)
	}
	tg.Store = st
	if tg.Layout, err = layout.New(loc.Prefix, tg.Server); err != nil {
		t.Fatal(err)
	}
}

// Getenv reads a variable of Env; for an external store, of the process's environment after that, which
// holds its credentials.
func (tg *Target) Getenv(k string) string {
	for _, e := range tg.Env {
		if v, ok := strings.CutPrefix(e, k+"="); ok {
			return v
		}
	}
	if tg.Kind == External {
		return os.Getenv(k)
	}
	return ""
}

// External is the Kind of a store this harness did not start (ExternalTarget).
const External = "external"

// BenchDestination names the external store of the benchmarks (ExternalFromEnv).
const BenchDestination = "BENCH_DESTINATION"

// ExternalFromEnv is the ExternalTarget at $BENCH_DESTINATION under a server name of this second
// (bench-YYYYMMDDTHHMMSS, so runs never meet), or nil when the variable is unset.
func ExternalFromEnv(t testing.TB) *Target {
	dest := os.Getenv(BenchDestination)
	if dest == "" {
		return nil
	}
	return ExternalTarget(t, dest, time.Now().UTC().Format("bench-20060102T150405"))
}

// ExternalTarget opens a store that runs elsewhere, a real bucket or a MinIO on its own host, at dest (an
// s3://, gs:// or Azure https:// destination path) under server. Credentials come from the environment as
// each tool reads them (AWS_*, GOOGLE_APPLICATION_CREDENTIALS, AZURE_STORAGE_*); WAL_ARCHIVER_ENDPOINT_URL,
// when set, is an S3-compatible endpoint for both tools. Nothing is deleted afterwards: give a scratch
// prefix.
func ExternalTarget(t testing.TB, dest, server string) *Target {
	t.Helper()
	tg := &Target{Kind: External, Server: server, Dest: strings.TrimSuffix(dest, "/")}
	switch {
	case strings.HasPrefix(dest, "s3://"):
		if ep := os.Getenv(contract.EndpointURL.Env); ep != "" {
			tg.Flags = []string{"--endpoint-url", ep}
		}
	case strings.HasPrefix(dest, "gs://"):
		tg.Flags = []string{"--cloud-provider", "google-cloud-storage"}
	case strings.HasPrefix(dest, "https://"):
		tg.Flags = []string{"--cloud-provider", "azure-blob-storage"}
	default:
		t.Fatalf("archivertest: external destination %q; want s3://bucket/path, gs://bucket/path or https://ACCOUNT.blob.core.windows.net/container/path", dest)
	}
	tg.Env = []string{contract.DestinationPath.Env + "=" + tg.Dest, contract.ServerName.Env + "=" + server, "TZ=UTC"}
	tg.open(t)
	return tg
}

// StartStream runs our WAL archiver (in this process, WAL in codec) on pg into the target until the
// test ends.
func (tg *Target) StartStream(t testing.TB, pg *testservers.Postgres, codec string, log logr.Logger) *metrics.Metrics {
	t.Helper()
	c, err := compress.Lookup(codec)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgconn.ParseConfig(pg.ConnString())
	if err != nil {
		t.Fatal(err)
	}
	m := metrics.New()
	a, err := stream.New(stream.Config{Conn: conn, Slot: "archiver", SpoolDir: filepath.Join(t.TempDir(), "spool"),
		Upload:         stream.UploaderConfig{Target: stream.Target{Store: tg.Store, Layout: tg.Layout, Codec: c}, MaxParallel: 4, MaxBackoff: time.Second},
		StatusInterval: 200 * time.Millisecond, PollInterval: 500 * time.Millisecond, MemoryBudget: 8 * pg.SegSize,
		Metrics: m, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(2 * time.Minute):
			t.Errorf("archivertest: the WAL archiver did not stop")
		}
	})
	return m
}

// SwitchAndWait closes pg's current segment and waits until the target's archive holds it.
func (tg *Target) SwitchAndWait(t testing.TB, pg *testservers.Postgres) {
	t.Helper()
	seg := pg.SwitchWAL(t)
	n, err := layout.Parse(seg)
	if err != nil {
		t.Fatal(err)
	}
	testservers.WaitFor(t, 2*time.Minute, func() bool {
		objs, err := tg.Store.List(context.Background(), tg.Layout.Key(n, ""))
		return err == nil && len(objs) > 0
	}, func() string { return seg + " was not archived" })
}
