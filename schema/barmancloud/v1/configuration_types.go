package v1

// The types below mirror barman-cloud's pkg/api (BarmanObjectStoreConfiguration and its parts), which the
// plugin embeds in ObjectStore.spec.configuration; CloudNativePG's modules are not on the module proxy, so
// they are written out here.

// CompressionType is the compression barman applies to WAL or base backups.
type CompressionType string

// Compressions barman-cloud knows; the empty string means none.
const (
	CompressionTypeNone   CompressionType = ""
	CompressionTypeGzip   CompressionType = "gzip"
	CompressionTypeBzip2  CompressionType = "bzip2"
	CompressionTypeLz4    CompressionType = "lz4"
	CompressionTypeSnappy CompressionType = "snappy"
	CompressionTypeXz     CompressionType = "xz"
	CompressionTypeZstd   CompressionType = "zstd"
)

// EncryptionType is the S3 server-side encryption barman asks for.
type EncryptionType string

// Encryptions barman-cloud knows; the empty string means none.
const (
	EncryptionTypeNone   EncryptionType = ""
	EncryptionTypeAES256 EncryptionType = "AES256"
	EncryptionTypeKMS    EncryptionType = "aws:kms"
)

// LocalObjectReference names an object in the same namespace.
type LocalObjectReference struct {
	// Name of the referent.
	Name string `json:"name"`
}

// SecretKeySelector selects a key of a Secret in the same namespace.
type SecretKeySelector struct {
	// The name of the secret in the pod's namespace to select from.
	LocalObjectReference `json:",inline"`
	// The key to select.
	Key string `json:"key"`
}

// BarmanCredentials holds the credentials of exactly one provider (a rule this project enforces; upstream
// does not).
type BarmanCredentials struct {
	// The credentials to use to upload data to Google Cloud Storage.
	// +optional
	Google *GoogleCredentials `json:"googleCredentials,omitempty"`
	// The credentials to use to upload data to S3.
	// +optional
	AWS *S3Credentials `json:"s3Credentials,omitempty"`
	// The credentials to use to upload data to Azure Blob Storage.
	// +optional
	Azure *AzureCredentials `json:"azureCredentials,omitempty"`
}

// BarmanObjectStoreConfiguration contains the backup configuration using Barman against an S3-compatible
// object storage.
type BarmanObjectStoreConfiguration struct {
	// The potential credentials for each cloud provider.
	BarmanCredentials `json:",inline"`

	// Endpoint to be used to upload data to the cloud, overriding the automatic endpoint discovery.
	// +optional
	EndpointURL string `json:"endpointURL,omitempty"`

	// EndpointCA store the CA bundle of the barman endpoint. Useful when using self-signed certificates to
	// avoid errors with certificate issuer and barman-cloud-wal-archive.
	// +optional
	EndpointCA *SecretKeySelector `json:"endpointCA,omitempty"`

	// The path where to store the backup (i.e. s3://bucket/path/to/folder); this path, with different
	// destination folders, will be used for WALs and for data.
	// +kubebuilder:validation:MinLength=1
	DestinationPath string `json:"destinationPath"`

	// The server name on S3, the cluster name is used if this parameter is omitted.
	// +optional
	ServerName string `json:"serverName,omitempty"`

	// The configuration for the backup of the WAL stream. When not defined, WAL files will be stored
	// uncompressed and may be unencrypted in the object store, according to the bucket default policy.
	// +optional
	Wal *WalBackupConfiguration `json:"wal,omitempty"`

	// The configuration to be used to backup the data files. When not defined, base backups files will be
	// stored uncompressed and may be unencrypted in the object store, according to the bucket default policy.
	// +optional
	Data *DataBackupConfiguration `json:"data,omitempty"`

	// Tags is a list of key value pairs that will be passed to the Barman --tags option.
	// +optional
	Tags map[string]string `json:"tags,omitempty"`

	// HistoryTags is a list of key value pairs that will be passed to the Barman --history-tags option.
	// +optional
	HistoryTags map[string]string `json:"historyTags,omitempty"`
}

// S3Credentials is the type for the credentials to be used to upload files to S3. It can be provided in
// two alternative ways: explicitly passing accessKeyId and secretAccessKey, or assuming an IAM role.
type S3Credentials struct {
	// The reference to the access key id.
	// +optional
	AccessKeyIDReference *SecretKeySelector `json:"accessKeyId,omitempty"`
	// The reference to the secret access key.
	// +optional
	SecretAccessKeyReference *SecretKeySelector `json:"secretAccessKey,omitempty"`
	// The reference to the secret containing the region name.
	// +optional
	RegionReference *SecretKeySelector `json:"region,omitempty"`
	// The references to the session key.
	// +optional
	SessionToken *SecretKeySelector `json:"sessionToken,omitempty"`
	// Use the role based authentication without providing explicitly the keys.
	// +optional
	InheritFromIAMRole bool `json:"inheritFromIAMRole,omitempty"`
}

// AzureCredentials is the type for the credentials to be used to upload files to Azure Blob Storage.
type AzureCredentials struct {
	// The connection string to be used.
	// +optional
	ConnectionString *SecretKeySelector `json:"connectionString,omitempty"`
	// The storage account where to upload data.
	// +optional
	StorageAccount *SecretKeySelector `json:"storageAccount,omitempty"`
	// The storage account key to be used in conjunction with the storage account name.
	// +optional
	StorageKey *SecretKeySelector `json:"storageKey,omitempty"`
	// A shared-access-signature to be used in conjunction with the storage account name.
	// +optional
	StorageSasToken *SecretKeySelector `json:"storageSasToken,omitempty"`
	// Use the Azure AD based authentication without providing explicitly the keys.
	// +optional
	InheritFromAzureAD bool `json:"inheritFromAzureAD,omitempty"`
	// Use the default Azure authentication flow, which includes DefaultAzureCredential. This allows
	// authentication using environment variables and managed identities.
	// +optional
	UseDefaultAzureCredentials bool `json:"useDefaultAzureCredentials,omitempty"`
}

// GoogleCredentials is the type for the Google Cloud Storage credentials. This needs to be specified even
// if we run inside a GKE environment.
type GoogleCredentials struct {
	// The secret containing the Google Cloud Storage JSON file with the credentials.
	// +optional
	ApplicationCredentials *SecretKeySelector `json:"applicationCredentials,omitempty"`
	// If set to true, will presume that it's running inside a GKE environment, default to false.
	// +optional
	GKEEnvironment bool `json:"gkeEnvironment,omitempty"`
}

// WalBackupConfiguration is the configuration of the backup of the WAL stream.
type WalBackupConfiguration struct {
	// Compress a WAL file before sending it to the object store. Available options are empty string (no
	// compression, default), `gzip`, `bzip2`, `lz4`, `snappy`, `xz`, and `zstd`.
	// +kubebuilder:validation:Enum=bzip2;gzip;lz4;snappy;xz;zstd
	// +optional
	Compression CompressionType `json:"compression,omitempty"`
	// Whenever to force the encryption of files (if the bucket is not already configured for that).
	// Allowed options are empty string (use the bucket policy, default), `AES256` and `aws:kms`.
	// +kubebuilder:validation:Enum=AES256;"aws:kms"
	// +optional
	Encryption EncryptionType `json:"encryption,omitempty"`
	// Number of WAL files to be either archived in parallel (when the PostgreSQL instance is archiving to a
	// backup object store) or restored in parallel (when a PostgreSQL standby is fetching WAL files from a
	// recovery object store). If not specified, WAL files will be processed one at a time. It accepts a
	// positive integer as a value - with 1 being the minimum accepted value.
	// +kubebuilder:validation:Minimum=1
	// +optional
	MaxParallel *int `json:"maxParallel,omitempty"` // upstream's int loses an explicit 0, which the CRD refuses
	// Additional arguments that can be appended to the 'barman-cloud-wal-archive' command-line invocation.
	// +optional
	ArchiveAdditionalCommandArgs []string `json:"archiveAdditionalCommandArgs,omitempty"`
	// Additional arguments that can be appended to the 'barman-cloud-wal-restore' command-line invocation.
	// +optional
	RestoreAdditionalCommandArgs []string `json:"restoreAdditionalCommandArgs,omitempty"`
}

// DataBackupConfiguration is the configuration of the backup of the data directory.
type DataBackupConfiguration struct {
	// Compress a backup file (a tar file per tablespace) while streaming it to the object store. Available
	// options are empty string (no compression, default), `gzip`, `bzip2`, `lz4`, and `snappy`.
	// +kubebuilder:validation:Enum=bzip2;gzip;lz4;snappy
	// +optional
	Compression CompressionType `json:"compression,omitempty"`
	// Whenever to force the encryption of files (if the bucket is not already configured for that).
	// Allowed options are empty string (use the bucket policy, default), `AES256` and `aws:kms`.
	// +kubebuilder:validation:Enum=AES256;"aws:kms"
	// +optional
	Encryption EncryptionType `json:"encryption,omitempty"`
	// The number of parallel jobs to be used to upload the backup, defaults to 2.
	// +kubebuilder:validation:Minimum=1
	// +optional
	Jobs *int32 `json:"jobs,omitempty"`
	// Control whether the I/O workload for the backup initial checkpoint will be limited, according to the
	// `checkpoint_completion_target` setting on the PostgreSQL server. If set to true, an immediate
	// checkpoint will be used, meaning PostgreSQL will complete the checkpoint as soon as possible.
	// `false` by default.
	// +optional
	ImmediateCheckpoint bool `json:"immediateCheckpoint,omitempty"`
	// AdditionalCommandArgs represents additional arguments that can be appended to the
	// 'barman-cloud-backup' command-line invocation.
	// +optional
	AdditionalCommandArgs []string `json:"additionalCommandArgs,omitempty"`
	// AdditionalCommandArgs represents additional arguments that can be appended to the
	// 'barman-cloud-restore' command-line invocation.
	// +optional
	RestoreAdditionalCommandArgs []string `json:"restoreAdditionalCommandArgs,omitempty"`
}
