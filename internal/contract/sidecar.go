package contract

// SidecarName is the name of the injected archiver container.
const SidecarName = "wal-archiver"

// Setting is one knob of wal-archiver: the pod webhook sets Env, a person running the binary by hand may
// pass Flag instead; wal-archiver reads the flag first, then the environment variable.
type Setting struct {
	Flag string
	Env  string
	Help string
}

// The settings of wal-archiver. Cloud SDK variables (AWS_*, AZURE_*, GOOGLE_APPLICATION_CREDENTIALS,
// STORAGE_EMULATOR_HOST) and libpq's PG* variables keep their standard names and are listed below too,
// so the SDKs and pgconn find them without a translation layer.
var (
	DestinationPath = setting("destination-path", "WAL_ARCHIVER_DESTINATION_PATH", "the store's destinationPath (s3://, gs://, https://…)")
	ServerName      = setting("server-name", "WAL_ARCHIVER_SERVER_NAME", "the folder under the destination path (barman's serverName)")
	Provider        = setting("provider", "WAL_ARCHIVER_PROVIDER", "s3, azure or google")
	EndpointURL     = setting("endpoint-url", "WAL_ARCHIVER_ENDPOINT_URL", "S3-compatible endpoint URL")
	EndpointCAFile  = setting("endpoint-ca-file", "WAL_ARCHIVER_ENDPOINT_CA_FILE", "PEM bundle added to the system roots for the store")
	Compression     = setting("compression", "WAL_ARCHIVER_COMPRESSION", "gzip, bzip2, xz, snappy, zstd, lz4 or empty")
	Encryption      = setting("encryption", "WAL_ARCHIVER_ENCRYPTION", "S3 server-side encryption: AES256 or aws:kms")
	Tags            = setting("tags", "WAL_ARCHIVER_TAGS", "object tags as a JSON object")
	HistoryTags     = setting("history-tags", "WAL_ARCHIVER_HISTORY_TAGS", "tags of .history files as a JSON object")
	S3IAMRole       = setting("s3-inherit-iam-role", "WAL_ARCHIVER_S3_INHERIT_IAM_ROLE", "true: take AWS credentials from the environment's role (IRSA, instance profile)")
	AzureCredential = setting("azure-credential", "WAL_ARCHIVER_AZURE_CREDENTIAL", "managed-identity or default (azidentity); empty: keys from the environment")
	SlotName        = setting("slot", "WAL_ARCHIVER_SLOT", "physical replication slot name")
	SpoolDir        = setting("spool-dir", "WAL_ARCHIVER_SPOOL_DIR", "local spool on the PGDATA volume")
	PartialInterval = setting("partial-interval", "WAL_ARCHIVER_PARTIAL_INTERVAL", "how often the segment being written is uploaded as .partial (the RPO)")
	ListenAddress   = setting("listen", "WAL_ARCHIVER_LISTEN", "address of /metrics, /healthz and /readyz")
	LogLevel        = setting("log-level", "WAL_ARCHIVER_LOG_LEVEL", "error, warning, info, debug or trace")
	MaxWALHold      = setting("max-wal-hold", "WAL_ARCHIVER_MAX_WAL_HOLD", "most WAL the slot keeps for segments the store has not taken (e.g. 8Gi); past it the oldest are given up, a gap in the archive; empty or 0: no bound")
	// CredentialsDir and SettingsFile are how settings reach a running archiver without a restart: the
	// kubelet refreshes the projected Secret and the ConfigMap behind them, and the archiver re-reads them.
	CredentialsDir = setting("credentials-dir", "WAL_ARCHIVER_CREDENTIALS_DIR", "directory of credential files, each named by its standard variable (AWS_ACCESS_KEY_ID, AZURE_STORAGE_KEY, …); re-read when they change")
	SettingsFile   = setting("settings-file", "WAL_ARCHIVER_SETTINGS_FILE", "JSON object of WAL_ARCHIVER_* variables rendered from the current ObjectStore; wins over the environment and is re-read when it changes")

	// Base backups and retention (the store's data.* fields, spec.retentionPolicy and
	// instanceSidecarConfiguration.retentionPolicyIntervalSeconds, and the Cluster's schedule annotation).
	BackupSchedule          = setting("backup-schedule", "WAL_ARCHIVER_BACKUP_SCHEDULE", "cron schedule of base backups, taken by the primary's archiver (5 fields, or 6 with seconds first); empty: on demand only")
	DataCompression         = setting("data-compression", "WAL_ARCHIVER_DATA_COMPRESSION", "base backup compression: gzip, bzip2, snappy, lz4 or empty")
	DataJobs                = setting("data-jobs", "WAL_ARCHIVER_DATA_JOBS", "parallel uploads (and downloads on restore) of a base backup")
	DataImmediateCheckpoint = setting("data-immediate-checkpoint", "WAL_ARCHIVER_DATA_IMMEDIATE_CHECKPOINT", "true: the backup starts with a fast checkpoint instead of a spread one")
	DataEncryption          = setting("data-encryption", "WAL_ARCHIVER_DATA_ENCRYPTION", "S3 server-side encryption of base backups: AES256 or aws:kms")
	RetentionPolicy         = setting("retention-policy", "WAL_ARCHIVER_RETENTION_POLICY", "recovery window: Nd, Nw or Nm (barman's RECOVERY WINDOW OF N DAYS|WEEKS|MONTHS); empty: keep everything")
	RetentionInterval       = setting("retention-interval", "WAL_ARCHIVER_RETENTION_INTERVAL", "how often the primary's archiver applies the retention policy")
)

// Standard variables the pod webhook sets for the SDKs and for libpq-compatible connection settings.
const (
	EnvAWSAccessKeyID          = "AWS_ACCESS_KEY_ID"
	EnvAWSSecretAccessKey      = "AWS_SECRET_ACCESS_KEY"
	EnvAWSSessionToken         = "AWS_SESSION_TOKEN"
	EnvAWSRegion               = "AWS_REGION"
	EnvAWSRoleARN              = "AWS_ROLE_ARN"
	EnvAWSWebIdentityTokenFile = "AWS_WEB_IDENTITY_TOKEN_FILE"
	EnvAWSSTSRegionalEndpoints = "AWS_STS_REGIONAL_ENDPOINTS"
	EnvAzureConnectionString   = "AZURE_STORAGE_CONNECTION_STRING"
	EnvAzureStorageAccount     = "AZURE_STORAGE_ACCOUNT"
	EnvAzureStorageKey         = "AZURE_STORAGE_KEY"
	EnvAzureSASToken           = "AZURE_STORAGE_SAS_TOKEN"
	EnvAzureClientID           = "AZURE_CLIENT_ID"
	EnvAzureTenantID           = "AZURE_TENANT_ID"
	EnvAzureFederatedTokenFile = "AZURE_FEDERATED_TOKEN_FILE"
	EnvAzureAuthorityHost      = "AZURE_AUTHORITY_HOST"
	EnvGoogleCredentials       = "GOOGLE_APPLICATION_CREDENTIALS"
	EnvStorageEmulatorHost     = "STORAGE_EMULATOR_HOST"
	EnvPGHost                  = "PGHOST"
	EnvPGPort                  = "PGPORT"
	EnvPGUser                  = "PGUSER"
	EnvPGSSLMode               = "PGSSLMODE"
	EnvPGSSLCert               = "PGSSLCERT"
	EnvPGSSLKey                = "PGSSLKEY"
	EnvPGSSLRootCert           = "PGSSLROOTCERT"
	EnvPodName                 = "POD_NAME"
	EnvNamespace               = "NAMESPACE"
	EnvClusterName             = "CLUSTER_NAME"
)

// EKS Pod Identity, as the EKS pod-identity webhook names it: the agent (on a link-local address of every
// node) hands out the role's credentials to whoever presents the projected token as Authorization.
const (
	EnvAWSContainerCredentialsFullURI     = "AWS_CONTAINER_CREDENTIALS_FULL_URI"
	EnvAWSContainerAuthorizationTokenFile = "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"
	AWSPodIdentityAgentURI                = "http://169.254.170.23/v1/credentials"
	AWSPodIdentityAudience                = "pods.eks.amazonaws.com"
	VolumeAWSPodIdentityToken             = "eks-pod-identity-token"
	MountAWSPodIdentityToken              = "/var/run/secrets/pods.eks.amazonaws.com/serviceaccount"
	FileAWSPodIdentityToken               = MountAWSPodIdentityToken + "/" + VolumeAWSPodIdentityToken
)

// Defaults both sides agree on.
const (
	DefaultSlotName        = "wal_archiver"
	DefaultPartialInterval = "60s"
	// DefaultRetentionInterval is upstream's retentionPolicyIntervalSeconds default (1800).
	DefaultRetentionInterval = "30m"
	DefaultDataJobs          = 4
	DefaultListenAddress     = ":9188"
	DefaultPort              = 9188
	// PortName names the sidecar's port: manifests/monitoring's PodMonitor scrapes the pods that have it.
	PortName        = "archiver-http"
	ReplicationUser = "streaming_replica"
	// PGDataMount is where CloudNativePG mounts the pgdata volume; the spool lives beside PGDATA on the
	// same volume so that what is confirmed to the server survives a pod restart.
	PGDataMount     = "/var/lib/postgresql/data"
	DefaultSpoolDir = PGDataMount + "/wal-archiver-spool"
)

// Volumes and mount paths the pod webhook adds (names are prefixed so they never clash with CNPG's).
const (
	VolumeEndpointCA   = "wal-archiver-endpoint-ca"
	MountEndpointCA    = "/etc/wal-archiver/endpoint-ca"
	FileEndpointCA     = MountEndpointCA + "/ca.crt"
	VolumeGoogle       = "wal-archiver-google"
	MountGoogle        = "/etc/wal-archiver/google"
	FileGoogle         = MountGoogle + "/credentials.json"
	VolumeReplication  = "wal-archiver-replication"
	MountReplication   = "/etc/wal-archiver/replication"
	FileReplicationCrt = MountReplication + "/tls.crt"
	FileReplicationKey = MountReplication + "/tls.key"
	VolumeServerCA     = "wal-archiver-server-ca"
	MountServerCA      = "/etc/wal-archiver/server-ca"
	FileServerCA       = MountServerCA + "/ca.crt"
	// VolumeCredentials is a projected volume of the store's credential Secrets (optional), one file per
	// standard variable name, in MountCredentials (contract.CredentialsDir).
	VolumeCredentials = "wal-archiver-credentials"
	MountCredentials  = "/etc/wal-archiver/credentials"
	// VolumeSettings mounts the ConfigMap the webhook's controller renders for the Cluster (optional);
	// FileSettings is its SettingsKey.
	VolumeSettings = "wal-archiver-settings"
	MountSettings  = "/etc/wal-archiver/settings"
	SettingsKey    = "settings.json"
	FileSettings   = MountSettings + "/" + SettingsKey
	VolumeTmp      = "wal-archiver-tmp"
	MountTmp       = "/tmp"

	// IRSA, exactly as the EKS pod-identity webhook names them.
	VolumeAWSToken = "aws-iam-token"
	MountAWSToken  = "/var/run/secrets/eks.amazonaws.com/serviceaccount"
	FileAWSToken   = MountAWSToken + "/token"
	// Azure Workload Identity, as its webhook (v1.5) names them.
	VolumeAzureToken = "azure-identity-token"
	MountAzureToken  = "/var/run/secrets/azure/tokens"
	FileAzureToken   = MountAzureToken + "/azure-identity-token"
)

// Settings lists every wal-archiver setting, in declaration order, for flag registration and the docs.
func Settings() []Setting { return append([]Setting(nil), all...) }

// all collects the settings as their variables are initialised, so that a setting is declared once: a
// variable without its list entry cannot happen.
var all []Setting

func setting(flag, env, help string) Setting {
	s := Setting{Flag: flag, Env: env, Help: help}
	all = append(all, s)
	return s
}
