package azurestore

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/store/endpointca"
)

// Config is everything the driver needs to reach one container. Exactly one way to authenticate is used,
// in barman's order: ConnectionString, then Credential (azidentity), then SASToken, then AccountKey.
type Config struct {
	Container string
	// ConnectionString is AZURE_STORAGE_CONNECTION_STRING; its BlobEndpoint (Azurite's path-style URL
	// included) decides where requests go.
	ConnectionString string
	// AccountURL is the service URL, https://<account>.blob.core.windows.net (or a sovereign cloud's), used
	// with every method but ConnectionString.
	AccountURL string
	// Credential is an azidentity credential (managed identity, workload identity, default chain).
	Credential azcore.TokenCredential
	// SASToken is a shared access signature, with or without its leading '?'.
	SASToken string
	// AccountName and AccountKey are a shared key.
	AccountName string
	AccountKey  string
	// CAFile is a PEM bundle trusted in addition to the system roots.
	CAFile string
	// PartSize is the block size of uploads of unknown size, and the most such a body is buffered;
	// default 8 MiB.
	PartSize int64
	// ListPageSize is MaxResults of each list request; default 5000 (the service maximum).
	ListPageSize int32
	// MaxRetries bounds the SDK's retries; 0 keeps the SDK default, negative means a single try.
	MaxRetries int32
}

const defaultPartSize = 8 << 20

// New builds a driver for cfg.Container. It does not contact the service.
func New(cfg Config) (*Store, error) {
	if cfg.Container == "" {
		return nil, errors.New("azure: a container name is required")
	}
	if cfg.PartSize <= 0 {
		cfg.PartSize = defaultPartSize
	}
	if cfg.ListPageSize <= 0 || cfg.ListPageSize > 5000 {
		cfg.ListPageSize = 5000
	}
	tr, err := endpointca.Transport(cfg.CAFile)
	if err != nil {
		return nil, err
	}
	opts := &container.ClientOptions{ClientOptions: azcore.ClientOptions{
		Transport: &http.Client{Transport: tr},
		Retry:     policy.RetryOptions{MaxRetries: cfg.MaxRetries},
	}}
	var (
		client *container.Client
		what   string
	)
	switch {
	case cfg.ConnectionString != "":
		what = "connection string"
		client, err = container.NewClientFromConnectionString(cfg.ConnectionString, cfg.Container, opts)
	case cfg.Credential != nil:
		what = "token credential"
		var u string
		if u, err = containerURL(cfg.AccountURL, cfg.Container); err == nil {
			client, err = container.NewClient(u, cfg.Credential, opts)
		}
	case cfg.SASToken != "":
		what = "SAS token"
		var u string
		if u, err = containerURL(cfg.AccountURL, cfg.Container); err == nil {
			client, err = container.NewClientWithNoCredential(u+"?"+strings.TrimPrefix(cfg.SASToken, "?"), opts)
		}
	case cfg.AccountKey != "":
		what = "shared key"
		var cred *container.SharedKeyCredential
		if cfg.AccountName == "" {
			return nil, errors.New("azure: a shared key needs the storage account name")
		}
		if cred, err = container.NewSharedKeyCredential(cfg.AccountName, cfg.AccountKey); err != nil {
			// The SDK's message may quote the key; name the problem instead.
			return nil, errors.New("azure: the storage account key is not valid base64")
		}
		var u string
		if u, err = containerURL(cfg.AccountURL, cfg.Container); err == nil {
			client, err = container.NewClientWithSharedKeyCredential(u, cred, opts)
		}
	default:
		return nil, errors.New("azure: no credentials: set a connection string, a SAS token, an account key or an azidentity credential")
	}
	if err != nil {
		if what == "connection string" {
			// Never echo a connection string: it holds the account key.
			return nil, errors.New("azure: the storage connection string could not be parsed (it needs AccountName, AccountKey or SharedAccessSignature, and BlobEndpoint or EndpointSuffix)")
		}
		return nil, fmt.Errorf("azure: building the client with a %s: %w", what, err)
	}
	return &Store{client: client, cfg: cfg}, nil
}

// containerURL joins the account's service URL and the container name.
func containerURL(accountURL, name string) (string, error) {
	if accountURL == "" {
		return "", errors.New("azure: the account URL is required with this kind of credential")
	}
	u, err := url.Parse(accountURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", fmt.Errorf("azure: account URL %q must be http(s)://host[/account]", accountURL)
	}
	u.RawQuery = ""
	u.Path = strings.TrimRight(u.Path, "/") + "/" + url.PathEscape(name)
	return u.String(), nil
}

// URL is the container's URL without its query, for messages: a SAS token never leaves the client.
func (s *Store) URL() string {
	u, err := url.Parse(s.client.URL())
	if err != nil {
		return "azure container " + s.cfg.Container
	}
	u.RawQuery = ""
	return u.String()
}
