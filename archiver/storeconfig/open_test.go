package storeconfig

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/store/azurestore"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/store/gcsstore"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/store/s3store"
)

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestOpenPicksTheDriver(t *testing.T) {
	ctx := context.Background()
	st, loc, err := Open(ctx, Settings{DestinationPath: "s3://wal/base", EndpointURL: "http://127.0.0.1:9000",
		Getenv: envOf(map[string]string{"AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"})})
	if err != nil {
		t.Fatal(err)
	}
	if s, ok := st.(*s3store.Store); !ok || s.Bucket() != "wal" || loc.Prefix != "base" {
		t.Fatalf("s3: %T %+v", st, loc)
	}

	st, _, err = Open(ctx, Settings{DestinationPath: "https://acct.blob.core.windows.net/wal/base",
		Getenv: envOf(map[string]string{"AZURE_STORAGE_SAS_TOKEN": "sv=1&sig=x"})})
	if err != nil {
		t.Fatal(err)
	}
	if s, ok := st.(*azurestore.Store); !ok || s.URL() != "https://acct.blob.core.windows.net/wal" {
		t.Fatalf("azure: %T", st)
	}

	st, _, err = Open(ctx, Settings{DestinationPath: "gs://wal/base", Getenv: envOf(map[string]string{"STORAGE_EMULATOR_HOST": "127.0.0.1:1"})})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := st.(*gcsstore.Store); !ok {
		t.Fatalf("gcs: %T", st)
	}
}

func TestOpenAzureCredentialModes(t *testing.T) {
	ctx := context.Background()
	// Both identity modes build without contacting anything; the workload identity form needs its file.
	for _, env := range []map[string]string{
		{},
		{"AZURE_CLIENT_ID": "00000000-0000-0000-0000-000000000001"},
		{"AZURE_CLIENT_ID": "id", "AZURE_TENANT_ID": "tenant", "AZURE_FEDERATED_TOKEN_FILE": "/var/run/secrets/azure/tokens/azure-identity-token"},
	} {
		if _, _, err := Open(ctx, Settings{DestinationPath: "https://acct.blob.core.windows.net/wal", AzureCredential: AzureManagedIdentity, Getenv: envOf(env)}); err != nil {
			t.Errorf("managed-identity with %v: %v", env, err)
		}
	}
	if _, _, err := Open(ctx, Settings{DestinationPath: "https://acct.blob.core.windows.net/wal", AzureCredential: AzureDefault, Getenv: envOf(nil)}); err != nil {
		t.Errorf("default: %v", err)
	}
}

func TestOpenRejects(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		s    Settings
		want string
	}{
		{Settings{DestinationPath: "s3://wal", Encryption: "rot13"}, `encryption "rot13"`},
		{Settings{DestinationPath: "https://acct.blob.core.windows.net/wal", AzureCredential: "azure-cli"}, `azure credential "azure-cli"`},
		{Settings{DestinationPath: "http://127.0.0.1:10000/devstoreaccount1/wal"}, "emulator URL"},
		{Settings{DestinationPath: "gs://wal", Provider: "s3"}, `provider is "s3"`},
		{Settings{DestinationPath: "gs://wal", Getenv: envOf(map[string]string{"GOOGLE_APPLICATION_CREDENTIALS": "/nonexistent.json"})}, "reading the credentials file"},
	} {
		if c.s.Getenv == nil {
			c.s.Getenv = envOf(nil)
		}
		if _, _, err := Open(ctx, c.s); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Open(%+v) = %v, want an error containing %q", c.s, err, c.want)
		}
	}
}

func TestSettingsFromEnv(t *testing.T) {
	s := SettingsFromEnv(envOf(map[string]string{
		"WAL_ARCHIVER_DESTINATION_PATH":    "s3://b/p",
		"WAL_ARCHIVER_ENDPOINT_URL":        "https://minio:9000",
		"WAL_ARCHIVER_S3_INHERIT_IAM_ROLE": "true",
		"WAL_ARCHIVER_AZURE_CREDENTIAL":    "default",
	}))
	if s.DestinationPath != "s3://b/p" || s.EndpointURL != "https://minio:9000" || !s.S3InheritIAMRole || s.AzureCredential != "default" {
		t.Fatalf("%+v", s)
	}
}

// TestIRSAIsNotForcedStatic shows that inheriting the role leaves the SDK's chain alone, so the web
// identity token the EKS webhook mounts is what signs requests, even when keys are also in the environment.
func TestIRSAIsNotForcedStatic(t *testing.T) {
	t.Setenv("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/wal")
	t.Setenv("AWS_WEB_IDENTITY_TOKEN_FILE", "/var/run/secrets/eks.amazonaws.com/serviceaccount/token")
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	t.Setenv("AWS_REGION", "eu-central-1")
	st, _, err := Open(context.Background(), Settings{DestinationPath: "s3://wal", S3InheritIAMRole: true,
		Getenv: envOf(map[string]string{"AWS_ACCESS_KEY_ID": "static", "AWS_SECRET_ACCESS_KEY": "static"})})
	if err != nil {
		t.Fatal(err)
	}
	opts := st.(*s3store.Store).Client().Options()
	if !aws.IsCredentialsProvider(opts.Credentials, (*stscreds.WebIdentityRoleProvider)(nil)) {
		t.Fatalf("credentials provider %T is not the web identity one", opts.Credentials)
	}
	if opts.Region != "eu-central-1" {
		t.Fatalf("region %q", opts.Region)
	}
	// Without the role setting, keys in the environment are static credentials.
	st, _, err = Open(context.Background(), Settings{DestinationPath: "s3://wal",
		Getenv: envOf(map[string]string{"AWS_ACCESS_KEY_ID": "static", "AWS_SECRET_ACCESS_KEY": "static"})})
	if err != nil {
		t.Fatal(err)
	}
	if !aws.IsCredentialsProvider(st.(*s3store.Store).Client().Options().Credentials, credentials.StaticCredentialsProvider{}) {
		t.Fatal("static keys were not used")
	}
}
