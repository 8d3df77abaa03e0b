package storeconfig

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/store"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/store/azurestore"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/store/gcsstore"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/store/s3store"
	"github.com/objectstore-webhook/objectstore-webhook/internal/contract"
)

// Azure credential modes, as barman's --credential names them.
const (
	AzureManagedIdentity = "managed-identity"
	AzureDefault         = "default"
)

// Settings are the wal-archiver settings that choose and configure the store (see contract).
type Settings struct {
	DestinationPath string
	Provider        string
	EndpointURL     string
	EndpointCAFile  string
	Encryption      string
	// S3InheritIAMRole takes AWS credentials from the role only (IRSA, Pod Identity, instance profile).
	S3InheritIAMRole bool
	// S3PathStyle overrides the addressing style; nil means path style exactly when EndpointURL is set.
	S3PathStyle *bool
	// AzureCredential is "", managed-identity or default.
	AzureCredential string
	// Getenv reads the SDKs' standard variables (AWS_*, AZURE_*, GOOGLE_APPLICATION_CREDENTIALS,
	// STORAGE_EMULATOR_HOST); nil means os.Getenv.
	Getenv func(string) string
	// MaxAttempts bounds each driver's retries of one request; 0 keeps the SDK defaults. `check` sets it
	// low so that an unreachable store is reported at once.
	MaxAttempts int
}

// SettingsFromEnv reads the settings from the environment variables the pod webhook sets.
func SettingsFromEnv(getenv func(string) string) Settings {
	if getenv == nil {
		getenv = os.Getenv
	}
	return Settings{
		DestinationPath:  getenv(contract.DestinationPath.Env),
		Provider:         getenv(contract.Provider.Env),
		EndpointURL:      getenv(contract.EndpointURL.Env),
		EndpointCAFile:   getenv(contract.EndpointCAFile.Env),
		Encryption:       getenv(contract.Encryption.Env),
		S3InheritIAMRole: getenv(contract.S3IAMRole.Env) == "true",
		AzureCredential:  getenv(contract.AzureCredential.Env),
		Getenv:           getenv,
	}
}

// Open parses the destination path and builds its driver. The returned Location's Prefix (or Join) is
// where the caller's keys go. No request is made.
func Open(ctx context.Context, s Settings) (store.Store, Location, error) {
	if s.Getenv == nil {
		s.Getenv = os.Getenv
	}
	loc, err := ParseDestination(s.DestinationPath, s.Provider)
	if err != nil {
		return nil, Location{}, err
	}
	var st store.Store
	switch loc.Provider {
	case ProviderS3:
		st, err = openS3(ctx, s, loc)
	case ProviderAzure:
		st, err = openAzure(s, loc)
	case ProviderGoogle:
		st, err = openGCS(ctx, s, loc)
	}
	if err != nil {
		return nil, Location{}, err
	}
	return st, loc, nil
}

func openS3(ctx context.Context, s Settings, loc Location) (store.Store, error) {
	if s.Encryption != "" && s.Encryption != "AES256" && s.Encryption != "aws:kms" {
		return nil, fmt.Errorf("encryption %q is not supported; want AES256 or aws:kms", s.Encryption)
	}
	cfg := s3store.Config{
		Bucket:      loc.Bucket,
		Region:      firstSet(s.Getenv(contract.EnvAWSRegion), s.Getenv("AWS_DEFAULT_REGION")),
		Endpoint:    s.EndpointURL,
		PathStyle:   s.S3PathStyle,
		CAFile:      s.EndpointCAFile,
		Encryption:  s.Encryption,
		MaxAttempts: s.MaxAttempts,
	}
	// Static keys from the environment are passed explicitly unless the role is to be inherited; with
	// no keys the SDK's chain runs untouched, so IRSA's web identity and Pod Identity still work.
	ak, sk := s.Getenv(contract.EnvAWSAccessKeyID), s.Getenv(contract.EnvAWSSecretAccessKey)
	if !s.S3InheritIAMRole && ak != "" && sk != "" {
		cfg.Credentials = &s3store.Credentials{AccessKeyID: ak, SecretAccessKey: sk, SessionToken: s.Getenv(contract.EnvAWSSessionToken)}
	}
	return s3store.New(ctx, cfg)
}

func openAzure(s Settings, loc Location) (store.Store, error) {
	cfg := azurestore.Config{
		Container:   loc.Bucket,
		AccountURL:  loc.AccountURL,
		AccountName: loc.Account,
		CAFile:      s.EndpointCAFile,
	}
	switch {
	case s.MaxAttempts == 1:
		cfg.MaxRetries = -1 // azcore: negative means a single try; 0 would mean its default
	case s.MaxAttempts > 1:
		cfg.MaxRetries = int32(s.MaxAttempts - 1)
	}
	// barman's order: an explicit credential, then the connection string, SAS token, account key, and
	// DefaultAzureCredential as the last resort.
	var err error
	switch s.AzureCredential {
	case AzureManagedIdentity, AzureDefault:
		cfg.Credential, err = azureCredential(s.AzureCredential, s.Getenv)
	case "":
		switch {
		case s.Getenv(contract.EnvAzureConnectionString) != "":
			cfg.ConnectionString = s.Getenv(contract.EnvAzureConnectionString)
		case s.Getenv(contract.EnvAzureSASToken) != "":
			cfg.SASToken = s.Getenv(contract.EnvAzureSASToken)
		case s.Getenv(contract.EnvAzureStorageKey) != "":
			cfg.AccountKey = s.Getenv(contract.EnvAzureStorageKey)
			cfg.AccountName = firstSet(loc.Account, s.Getenv(contract.EnvAzureStorageAccount))
		default:
			cfg.Credential, err = azureCredential(AzureDefault, s.Getenv)
		}
	default:
		return nil, fmt.Errorf("azure credential %q is not supported; want %s, %s or empty", s.AzureCredential, AzureManagedIdentity, AzureDefault)
	}
	if err != nil {
		return nil, err
	}
	if loc.Emulated && cfg.ConnectionString == "" && cfg.AccountKey == "" && cfg.SASToken == "" {
		return nil, errors.New("the Azure destination path is an emulator URL (http://host:port/<account>/<container>); it needs AZURE_STORAGE_CONNECTION_STRING, AZURE_STORAGE_KEY or AZURE_STORAGE_SAS_TOKEN")
	}
	return azurestore.New(cfg)
}

// azureCredential follows barman: managed-identity is ManagedIdentityCredential, except that with Azure
// Workload Identity's federated token file it is WorkloadIdentityCredential; default is
// DefaultAzureCredential.
func azureCredential(mode string, getenv func(string) string) (azcore.TokenCredential, error) {
	var (
		cred azcore.TokenCredential
		err  error
	)
	switch {
	case mode == AzureDefault:
		cred, err = azidentity.NewDefaultAzureCredential(nil)
	case getenv(contract.EnvAzureFederatedTokenFile) != "":
		cred, err = azidentity.NewWorkloadIdentityCredential(&azidentity.WorkloadIdentityCredentialOptions{
			ClientID:      getenv(contract.EnvAzureClientID),
			TenantID:      getenv(contract.EnvAzureTenantID),
			TokenFilePath: getenv(contract.EnvAzureFederatedTokenFile),
		})
	default:
		var opts azidentity.ManagedIdentityCredentialOptions
		if id := getenv(contract.EnvAzureClientID); id != "" {
			opts.ID = azidentity.ClientID(id)
		}
		cred, err = azidentity.NewManagedIdentityCredential(&opts)
	}
	if err != nil {
		return nil, fmt.Errorf("azure %s credential: %w", mode, err)
	}
	return cred, nil
}

func openGCS(ctx context.Context, s Settings, loc Location) (store.Store, error) {
	return gcsstore.New(ctx, gcsstore.Config{
		Bucket:          loc.Bucket,
		CredentialsFile: s.Getenv(contract.EnvGoogleCredentials),
		EmulatorHost:    s.Getenv(contract.EnvStorageEmulatorHost),
		CAFile:          s.EndpointCAFile,
		MaxAttempts:     s.MaxAttempts,
	})
}

func firstSet(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
