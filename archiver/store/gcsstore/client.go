package gcsstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"

	"cloud.google.com/go/storage"
	"google.golang.org/api/option"
	htransport "google.golang.org/api/transport/http"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/store/endpointca"
)

// Config is everything the driver needs to reach one bucket.
type Config struct {
	Bucket string
	// CredentialsFile is a JSON credentials file (service account, external account for Workload Identity
	// Federation, authorized user). Empty means Application Default Credentials: GOOGLE_APPLICATION_CREDENTIALS,
	// then the GKE metadata server (Workload Identity).
	CredentialsFile string
	// EmulatorHost is STORAGE_EMULATOR_HOST (host:port or a URL); requests then go there unauthenticated.
	EmulatorHost string
	// CAFile is a PEM bundle trusted in addition to the system roots.
	CAFile string
	// ChunkSize is the upload chunk size. 0 (the default) sends each object in one request, streaming the
	// body without buffering it; that request cannot be retried by the client, the caller retries.
	ChunkSize int
	// ParallelPartSize is the size of the first parts of CreateParallel; 0 means 16 MiB.
	ParallelPartSize int64
	// ListPageSize is the page size of list requests; 0 keeps the service default (1000).
	ListPageSize int
	// MaxAttempts bounds the client's retries of one call; 0 keeps the library's default (retry until the
	// context ends).
	MaxAttempts int
}

// New builds a driver for cfg.Bucket; with credentials it may read them, it does not contact storage.
func New(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.Bucket == "" {
		return nil, errors.New("gcs: a bucket name is required")
	}
	opts := []option.ClientOption{storage.WithJSONReads()}
	var authOpts []option.ClientOption
	switch {
	case cfg.EmulatorHost != "":
		endpoint := cfg.EmulatorHost
		if !strings.Contains(endpoint, "://") {
			endpoint = "http://" + endpoint
		}
		opts = append(opts, option.WithEndpoint(strings.TrimRight(endpoint, "/")+"/storage/v1/"), option.WithoutAuthentication())
	case cfg.CredentialsFile != "":
		typ, err := credentialsType(cfg.CredentialsFile)
		if err != nil {
			return nil, err
		}
		authOpts = append(authOpts, option.WithAuthCredentialsFile(typ, cfg.CredentialsFile))
	}
	if cfg.CAFile != "" {
		base, err := endpointca.Transport(cfg.CAFile)
		if err != nil {
			return nil, err
		}
		var rt http.RoundTripper = base
		if cfg.EmulatorHost == "" {
			// A custom client bypasses the library's auth, so the credentials wrap the transport here.
			rt, err = htransport.NewTransport(ctx, base, append(authOpts, option.WithScopes(storage.ScopeFullControl))...)
			if err != nil {
				return nil, fmt.Errorf("gcs: setting up credentials: %w", err)
			}
		}
		opts = append(opts, option.WithHTTPClient(&http.Client{Transport: rt}))
	} else {
		opts = append(opts, authOpts...)
	}
	client, err := storage.NewClient(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("gcs: building the client: %w", err)
	}
	if cfg.MaxAttempts > 0 {
		client.SetRetry(storage.WithMaxAttempts(cfg.MaxAttempts))
	}
	return &Store{client: client, bucket: client.Bucket(cfg.Bucket), cfg: cfg}, nil
}

// credentialsType reads the "type" of a JSON credentials file, so each kind loads with its own loader
// (the generic JSON loaders are deprecated for accepting any kind from any source).
func credentialsType(file string) (option.CredentialsType, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("gcs: reading the credentials file: %w", err)
	}
	var head struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		// The file is a secret: say what is wrong without quoting it.
		return "", fmt.Errorf("gcs: the credentials file %s is not JSON", file)
	}
	switch t := option.CredentialsType(head.Type); t {
	case option.ServiceAccount, option.AuthorizedUser, option.ExternalAccount, option.ImpersonatedServiceAccount:
		return t, nil
	}
	return "", fmt.Errorf("gcs: the credentials file %s has type %q; want service_account, external_account, authorized_user or impersonated_service_account", file, head.Type)
}

// Close releases the client's connections.
func (s *Store) Close() error { return s.client.Close() }
