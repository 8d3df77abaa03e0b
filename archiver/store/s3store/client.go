package s3store

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/store/endpointca"
)

// Credentials are static keys. Leave Config.Credentials nil to use the SDK's default chain instead:
// AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN, IRSA (AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE),
// EKS Pod Identity, shared config files and the instance profile.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
}

// Config is everything the driver needs to reach one bucket.
type Config struct {
	Bucket string
	// Region; empty takes AWS_REGION / AWS_DEFAULT_REGION / the shared config, then the bucket's own region,
	// asked of the service before the first request (DefaultRegion if it does not say).
	Region string
	// Endpoint is the base URL of an S3-compatible service; empty means AWS.
	Endpoint string
	// PathStyle forces path-style (true) or virtual-hosted (false) addressing; nil means path style
	// exactly when Endpoint is set, which is what MinIO and most compatibles need.
	PathStyle *bool
	// CAFile is a PEM bundle trusted in addition to the system roots.
	CAFile string
	// Credentials nil means the SDK's default chain (never forced to static, so IRSA keeps working).
	Credentials *Credentials
	// Encryption is the server-side encryption: "", "AES256" or "aws:kms"; KMSKeyID optionally names the key.
	Encryption string
	KMSKeyID   string
	// PartSize is the multipart part size, and the most a body of unknown size is buffered; default 8 MiB.
	PartSize int64
	// SinglePutLimit is the largest body sent as one PutObject; larger ones go multipart. Default 5 GiB,
	// S3's own limit, so a WAL segment (at most 1 GiB) is always one request.
	SinglePutLimit int64
	// ListPageSize is the MaxKeys of each List request; default 1000 (the service maximum).
	ListPageSize int32
	// MaxAttempts bounds the SDK's retries of one request; 0 keeps the SDK default (3).
	MaxAttempts int
}

// DefaultRegion signs requests when nothing names a region and the service does not say the bucket's;
// S3-compatible services mostly ignore it.
const DefaultRegion = "us-east-1"

const (
	defaultPartSize       = 8 << 20
	defaultSinglePutLimit = 5 << 30
	minPartSize           = 5 << 20
)

// New builds a driver for cfg.Bucket. It does not contact the service; without a region, the first
// request is preceded by one that asks for the bucket's.
func New(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.Bucket == "" {
		return nil, errors.New("s3: a bucket name is required")
	}
	switch cfg.Encryption {
	case "", "AES256", "aws:kms":
	default:
		return nil, fmt.Errorf("s3: encryption %q is not supported, use AES256 or aws:kms", cfg.Encryption)
	}
	if cfg.PartSize == 0 {
		cfg.PartSize = defaultPartSize
	}
	if cfg.PartSize < minPartSize {
		return nil, fmt.Errorf("s3: part size %d is below S3's minimum of 5 MiB", cfg.PartSize)
	}
	if cfg.SinglePutLimit <= 0 {
		cfg.SinglePutLimit = defaultSinglePutLimit
	}
	if cfg.ListPageSize <= 0 || cfg.ListPageSize > 1000 {
		cfg.ListPageSize = 1000
	}

	httpClient, err := newHTTPClient(cfg.CAFile)
	if err != nil {
		return nil, err
	}
	opts := []func(*config.LoadOptions) error{
		config.WithHTTPClient(httpClient),
		// Flexible checksums (CRC32 trailers, on by default since s3 v1.73) break many compatibles; the
		// payload is signed with its SHA-256 instead, which every SigV4 service verifies.
		config.WithRequestChecksumCalculation(aws.RequestChecksumCalculationWhenRequired),
		config.WithResponseChecksumValidation(aws.ResponseChecksumValidationWhenRequired),
	}
	if cfg.Region != "" {
		opts = append(opts, config.WithRegion(cfg.Region))
	}
	if c := cfg.Credentials; c != nil {
		if c.AccessKeyID == "" || c.SecretAccessKey == "" {
			return nil, errors.New("s3: static credentials need both an access key ID and a secret access key")
		}
		opts = append(opts, config.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, c.SessionToken)))
	}
	if cfg.MaxAttempts > 0 {
		opts = append(opts, config.WithRetryMaxAttempts(cfg.MaxAttempts))
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("s3: loading the AWS configuration: %w", err)
	}
	if cfg.Credentials == nil {
		awsCfg.Credentials = labelChain(awsCfg.Credentials, nil)
	}
	explicit := awsCfg.Region != ""
	if !explicit {
		awsCfg.Region = DefaultRegion
	}
	pathStyle := cfg.Endpoint != ""
	if cfg.PathStyle != nil {
		pathStyle = *cfg.PathStyle
	}
	if cfg.Endpoint != "" && !strings.HasPrefix(cfg.Endpoint, "http://") && !strings.HasPrefix(cfg.Endpoint, "https://") {
		return nil, fmt.Errorf("s3: endpoint %q must start with http:// or https://", cfg.Endpoint)
	}
	client := s3.NewFromConfig(awsCfg, func(o *s3.Options) {
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(strings.TrimRight(cfg.Endpoint, "/"))
		}
		o.UsePathStyle = pathStyle
	})
	st := &Store{cfg: cfg}
	st.regional.init(client, explicit)
	return st, nil
}

// newHTTPClient keeps the SDK's tuned transport and only widens its trust: the CA file is added to the
// system roots (the SDK's own WithCustomCABundle would replace them).
func newHTTPClient(caFile string) (*awshttp.BuildableClient, error) {
	client := awshttp.NewBuildableClient()
	if caFile == "" {
		return client, nil
	}
	pool, err := endpointca.Pool(caFile)
	if err != nil {
		return nil, err
	}
	return client.WithTransportOptions(func(tr *http.Transport) {
		if tr.TLSClientConfig == nil {
			tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
		}
		tr.TLSClientConfig.RootCAs = pool
	}), nil
}

// Client is the underlying SDK client, for tests and benchmarks that need the raw API.
// It is signed for the bucket's region, which it may first have to ask for.
func (s *Store) Client() *s3.Client { return s.api(context.Background()) }

// Bucket is the bucket the driver writes to.
func (s *Store) Bucket() string { return s.cfg.Bucket }
