package objectstore

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1 "github.com/objectstore-webhook/objectstore-webhook/schema/barmancloud/v1"
)

var ruleDocs = []ruleDoc{
	{"credentials", "exactly one of s3Credentials, azureCredentials, googleCredentials"},
	{"destination", "destinationPath is set, its scheme matches the credentials block, it carries no credentials"},
	{"destination-prefix", "the folder under the bucket has no empty segment (//)"},
	{"endpoint-url", "endpointURL is an absolute http(s) URL with a host, without credentials; https for a host outside the cluster (plain http is fine for a single-label name, *.svc, *.cluster.local, localhost or a loopback IP)"},
	{"endpoint-ignored", "endpointURL and endpointCA are set only where a consumer uses them; the warning says which of barman-cloud and wal-archiver ignores them"},
	{"encryption-ignored", "wal/data encryption only on S3 (barman-cloud and wal-archiver alike)"},
	{"update", "a changed destinationPath or provider splits the WAL history; an update may keep problems the old object had"},
	{"s3-bucket", "the bucket follows AWS naming; looser with endpointURL"},
	{"s3-keys", "accessKeyId and secretAccessKey both or neither; exactly one of keys and inheritFromIAMRole"},
	{"s3-iam-ignored", "region and sessionToken with inheritFromIAMRole: barman-cloud ignores both, wal-archiver uses the region"},
	{"azure-path", "<account>.[<zone>.]blob.<cloud>/<container>/<path> for every cloud wal-archiver opens (package location), barman-cloud reading only blob.core.windows.net: account and container naming"},
	{"azure-emulator", "any other host: <host>:<port>/<account>/<container>/<path> with a connection string"},
	{"azure-credentials", "a connection string alone, or exactly one of key, SAS token, inheritFromAzureAD, useDefaultAzureCredentials; key and SAS need storageAccount"},
	{"google-bucket", "gs://bucket/path or the console URL; Google bucket naming"},
	{"google-credentials", "exactly one of gkeEnvironment and applicationCredentials"},
	{"secret-ref", "every Secret reference has a valid name and key"},
	{"secret-exists", "a visible Secret exists and holds the key, not empty (level set by --secret-checks)"},
	{"endpoint-ca", "the endpointCA key holds PEM certificates, valid now, not expiring within 30 days"},
	{"google-json", "the Google credentials are JSON with a type"},
	{"retention-policy", "retentionPolicy matches ^[1-9][0-9]*[dwm]$ (upstream CRD)"},
	{"server-name", "serverName is forbidden (upstream CRD)"},
	{"enums", "compression, encryption and logLevel take upstream's values (upstream CRD)"},
	{"minimums", "wal.maxParallel and data.jobs at least 1 (upstream CRD)"},
	{"log-level-arg", "no --log-level in additionalContainerArgs (upstream CRD)"},
	{"retention-interval", "retentionPolicyIntervalSeconds is not negative; below 60 wal-archiver uses 60"},
	{"archiver-ignored", "additional barman-cloud arguments (data.*, wal.*) reach the plugin's commands, never wal-archiver"},
	{"tags", "tags and historyTags: no empty key, no comma, quote or line break"},
	{"args", "an additional argument starting with '-' has no whitespace before '='"},
	{"aws-role-arn", "the aws-role-arn annotation is an IAM role ARN, used with inheritFromIAMRole"},
	{"aws-pod-identity", "the aws-pod-identity annotation is true or false, used with inheritFromIAMRole; it wins over aws-role-arn"},
	{"gcp-service-account", "the gcp-service-account annotation is a service account email, used with gkeEnvironment"},
	{"azure-identity", "the azure-client-id/tenant-id annotations are GUIDs, the tenant with a client, used with an Azure identity"},
}

func commonCases() []ruleCase {
	return []ruleCase{
		{rule: "credentials", name: "one block", obj: s3Keys()},
		{rule: "credentials", name: "none", obj: with(s3Keys, func(o *v1.ObjectStore) { o.Spec.Configuration.AWS = nil }),
			deny: []string{"spec.configuration"}},
		{rule: "credentials", name: "two", obj: with(s3IAM, func(o *v1.ObjectStore) {
			o.Spec.Configuration.Google = &v1.GoogleCredentials{GKEEnvironment: true}
		}), deny: []string{"spec.configuration.googleCredentials"}},

		{rule: "destination", name: "google console form", obj: with(gcsGKE, func(o *v1.ObjectStore) {
			o.Spec.Configuration.DestinationPath = "https://console.cloud.google.com/storage/browser/pg-backups/db"
		})},
		// Schemes are case-insensitive for barman and wal-archiver alike (RFC 3986).
		{rule: "destination", name: "scheme in capitals", obj: with(s3Keys, func(o *v1.ObjectStore) { o.Spec.Configuration.DestinationPath = "S3://backups/db" })},
		{rule: "destination", name: "empty", obj: with(s3Keys, func(o *v1.ObjectStore) { o.Spec.Configuration.DestinationPath = "" }),
			deny: []string{"spec.configuration.destinationPath"}},
		{rule: "destination", name: "unknown scheme", obj: with(s3Keys, func(o *v1.ObjectStore) { o.Spec.Configuration.DestinationPath = "backups/db" }),
			deny: []string{"spec.configuration.destinationPath"}},
		{rule: "destination", name: "s3 credentials with gs://", obj: with(s3Keys, func(o *v1.ObjectStore) { o.Spec.Configuration.DestinationPath = "gs://backups/db" }),
			deny: []string{"spec.configuration.destinationPath"}},
		{rule: "destination", name: "google credentials with https://", obj: with(gcsGKE, func(o *v1.ObjectStore) {
			o.Spec.Configuration.DestinationPath = "https://acct01.blob.core.windows.net/backups"
		}), deny: []string{"spec.configuration.destinationPath"}},
		{rule: "destination", name: "azure credentials with s3://", obj: with(azureKey, func(o *v1.ObjectStore) { o.Spec.Configuration.DestinationPath = "s3://backups" }),
			deny: []string{"spec.configuration.destinationPath"}},
		{rule: "destination", name: "SAS token in the path", obj: with(azureKey, func(o *v1.ObjectStore) {
			o.Spec.Configuration.DestinationPath = "https://acct01.blob.core.windows.net/backups?sv=2024&sig=" + planted
		}), deny: []string{"spec.configuration.destinationPath"}},

		{rule: "destination-prefix", name: "trailing slash", obj: with(s3Keys, func(o *v1.ObjectStore) { o.Spec.Configuration.DestinationPath = "s3://backups/db/" })},
		{rule: "destination-prefix", name: "empty segment", obj: with(s3Keys, func(o *v1.ObjectStore) { o.Spec.Configuration.DestinationPath = "s3://backups/db//x" }),
			warn: []string{"spec.configuration.destinationPath"}},

		{rule: "endpoint-url", name: "https", obj: minio()},
		{rule: "endpoint-url", name: "no scheme (cnpg #1429)", obj: with(minio, func(o *v1.ObjectStore) { o.Spec.Configuration.EndpointURL = "minio.example.com" }),
			deny: []string{"spec.configuration.endpointURL"}},
		{rule: "endpoint-url", name: "host:port without scheme", obj: with(minio, func(o *v1.ObjectStore) { o.Spec.Configuration.EndpointURL = "minio.example.com:9000" }),
			deny: []string{"spec.configuration.endpointURL"}},
		{rule: "endpoint-url", name: "ftp", obj: with(minio, func(o *v1.ObjectStore) { o.Spec.Configuration.EndpointURL = "ftp://minio.example.com" }),
			deny: []string{"spec.configuration.endpointURL"}},
		{rule: "endpoint-url", name: "user information", obj: with(minio, func(o *v1.ObjectStore) {
			o.Spec.Configuration.EndpointURL = "https://admin:" + planted + "@minio.example.com"
		}), deny: []string{"spec.configuration.endpointURL"}},
		plainHTTP("plain http outside the cluster", "http://minio.example.com:9000", true),
		plainHTTP("plain http to a public IP", "http://203.0.113.7:9000", true),
		plainHTTP("plain http to a Service of the namespace (upstream's seed page)", "http://minio-gateway-service:9000", false),
		plainHTTP("plain http to *.svc", "http://minio.minio.svc:9000", false),
		plainHTTP("plain http to *.svc.cluster.local", "http://minio.minio.svc.cluster.local:9000", false),
		plainHTTP("plain http to *.cluster.local, fully qualified", "http://minio.minio.svc.cluster.local.:9000", false),
		plainHTTP("plain http to localhost", "http://localhost:9000", false),
		plainHTTP("plain http to a loopback IP", "http://127.0.0.1:9000", false),
		plainHTTP("plain http to the IPv6 loopback", "http://[::1]:9000", false),

		{rule: "endpoint-ignored", name: "endpointCA on Azure", obj: with(azureKey, func(o *v1.ObjectStore) { o.Spec.Configuration.EndpointCA = ref("minio-ca", "ca.crt") })},
		{rule: "endpoint-ignored", name: "endpointURL on Azure", obj: with(azureKey, func(o *v1.ObjectStore) { o.Spec.Configuration.EndpointURL = "https://blob.example.com" }),
			warn: []string{"spec.configuration.endpointURL"}},
		{rule: "endpoint-ignored", name: "endpointURL on Google", obj: with(gcsGKE, func(o *v1.ObjectStore) { o.Spec.Configuration.EndpointURL = "https://gcs.example.com" }),
			warn: []string{"spec.configuration.endpointURL"}},
		{rule: "endpoint-ignored", name: "endpointCA on Google", obj: with(gcsGKE, func(o *v1.ObjectStore) { o.Spec.Configuration.EndpointCA = ref("minio-ca", "ca.crt") }),
			warn: []string{"spec.configuration.endpointCA"}},
		{rule: "endpoint-ignored", name: "endpointCA on AWS itself", obj: with(s3Keys, func(o *v1.ObjectStore) { o.Spec.Configuration.EndpointCA = ref("minio-ca", "ca.crt") }),
			warn: []string{"spec.configuration.endpointCA"}},

		{rule: "encryption-ignored", name: "S3", obj: with(s3Keys, func(o *v1.ObjectStore) {
			o.Spec.Configuration.Wal = &v1.WalBackupConfiguration{Encryption: v1.EncryptionTypeKMS}
			o.Spec.Configuration.Data = &v1.DataBackupConfiguration{Encryption: v1.EncryptionTypeAES256}
		})},
		{rule: "encryption-ignored", name: "Azure", obj: with(azureKey, func(o *v1.ObjectStore) {
			o.Spec.Configuration.Wal = &v1.WalBackupConfiguration{Encryption: v1.EncryptionTypeAES256}
		}), warn: []string{"spec.configuration.wal.encryption"}},
		{rule: "encryption-ignored", name: "Google", obj: with(gcsGKE, func(o *v1.ObjectStore) {
			o.Spec.Configuration.Data = &v1.DataBackupConfiguration{Encryption: v1.EncryptionTypeAES256}
		}), warn: []string{"spec.configuration.data.encryption"}},

		{rule: "update", name: "unchanged", old: s3Keys(), obj: with(s3Keys, func(o *v1.ObjectStore) { o.Spec.RetentionPolicy = "30d" })},
		{rule: "update", name: "destinationPath changed", old: s3Keys(), obj: with(s3Keys, func(o *v1.ObjectStore) {
			o.Spec.Configuration.DestinationPath = "s3://backups/other"
		}), warn: []string{"spec.configuration.destinationPath"}},
		{rule: "update", name: "provider changed", old: s3Keys(), obj: azureKey(), warn: []string{"spec.configuration"}},
		{rule: "update", name: "an existing problem is kept (ratchet)", old: dest(s3Keys, "s3://PG_Backups/db"), obj: with(s3Keys, func(o *v1.ObjectStore) {
			o.Spec.Configuration.DestinationPath = "s3://PG_Backups/db"
			o.Spec.RetentionPolicy = "30d"
		}), warn: []string{"spec"}},
		{rule: "update", name: "a new problem is refused", old: dest(s3Keys, "s3://PG_Backups/db"), obj: with(s3Keys, func(o *v1.ObjectStore) {
			o.Spec.Configuration.DestinationPath = "s3://PG_Backups/db"
			o.Spec.RetentionPolicy = "30days"
		}), deny: []string{"spec.retentionPolicy"}, warn: []string{"spec"}},
		{rule: "update", name: "deletion (finalizer removal)", old: dest(s3Keys, "s3://PG_Backups/db"), obj: with(s3Keys, func(o *v1.ObjectStore) {
			o.Spec.Configuration.DestinationPath = "s3://PG_Backups/db"
			o.DeletionTimestamp = &metav1.Time{}
		})},
	}
}

// plainHTTP is the MinIO store reached over plain http at url; warned says whether the http warning is due.
func plainHTTP(name, url string, warned bool) ruleCase {
	c := ruleCase{rule: "endpoint-url", name: name, obj: with(minio, func(o *v1.ObjectStore) {
		o.Spec.Configuration.EndpointURL = url
		o.Spec.Configuration.EndpointCA = nil
	})}
	if warned {
		c.warn = []string{"spec.configuration.endpointURL"}
	}
	return c
}
