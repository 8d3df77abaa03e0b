package contract

// Prefix is the annotation and label prefix of objectstore-webhook.
const Prefix = "objectstore-webhook.io/"

// Cluster annotations: how a Cluster opts in.
const (
	// ClusterObjectStore names the ObjectStore (same namespace) the Cluster archives to.
	ClusterObjectStore = Prefix + "object-store"
	// ClusterServerName overrides the server name (the folder under the destination path); default: the
	// Cluster's name.
	ClusterServerName = Prefix + "server-name"
	// ClusterBackupSchedule is the cron schedule of base backups, which the pod webhook hands to the
	// archiver (contract.BackupSchedule); only the primary's archiver acts on it.
	ClusterBackupSchedule = Prefix + "backup-schedule"
	// ClusterMaxWALHold bounds the WAL the slot keeps for an archive that is behind (contract.MaxWALHold), as
	// a Kubernetes quantity such as 8Gi.
	ClusterMaxWALHold = Prefix + "max-wal-hold"
)

// ObjectStore annotations: the cloud identity a store is reached with, declared once and wired into every
// Cluster that uses the store.
const (
	// StoreAWSRoleARN is the IAM role (IRSA) for stores with s3Credentials.inheritFromIAMRole.
	StoreAWSRoleARN = Prefix + "aws-role-arn"
	// StoreAWSPodIdentity "true" says an EKS Pod Identity association exists for the Cluster's
	// ServiceAccount (it lives in the EKS API, not on any Kubernetes object), for stores with
	// s3Credentials.inheritFromIAMRole. It wins over StoreAWSRoleARN, as in the EKS webhook.
	StoreAWSPodIdentity = Prefix + "aws-pod-identity"
	// StoreGCPServiceAccount is the Google service account email (GKE Workload Identity).
	StoreGCPServiceAccount = Prefix + "gcp-service-account"
	// StoreAzureClientID is the client ID of the Azure managed identity or app (Azure Workload Identity).
	StoreAzureClientID = Prefix + "azure-client-id"
	// StoreAzureTenantID is the Azure tenant ID, optional with StoreAzureClientID.
	StoreAzureTenantID = Prefix + "azure-tenant-id"
)

// Pod annotations.
const (
	// PodInject set to "false" on a pod (or in the Cluster's inheritedMetadata) opts the pod out.
	PodInject = Prefix + "inject"
	// PodInjected records what was injected and its hash; it is how the webhook knows its own work.
	PodInjected = Prefix + "injected"
)

// Well-known names from the clouds' own webhooks, which the Cluster webhook writes and the pod webhook reads.
const (
	AWSRoleARNAnnotation           = "eks.amazonaws.com/role-arn"
	AWSAudienceAnnotation          = "eks.amazonaws.com/audience"
	AWSTokenExpirationAnnotation   = "eks.amazonaws.com/token-expiration"
	AWSSTSRegionalAnnotation       = "eks.amazonaws.com/sts-regional-endpoints"
	AWSSkipContainersAnnotation    = "eks.amazonaws.com/skip-containers"
	AWSPodIdentityLabel            = "eks.amazonaws.com/pod-identity"
	GCPServiceAccountAnnotation    = "iam.gke.io/gcp-service-account"
	AzureClientIDAnnotation        = "azure.workload.identity/client-id"
	AzureTenantIDAnnotation        = "azure.workload.identity/tenant-id"
	AzureUseLabel                  = "azure.workload.identity/use"
	AzureTokenExpirationAnnotation = "azure.workload.identity/service-account-token-expiration"
	AzureSkipContainersAnnotation  = "azure.workload.identity/skip-containers"
	CNPGClusterLabel               = "cnpg.io/cluster"
	CNPGPodRoleLabel               = "cnpg.io/podRole"
	CNPGPodRoleInstance            = "instance"
	UpstreamPluginContainerName    = "plugin-barman-cloud"
	UpstreamPluginName             = "barman-cloud.cloudnative-pg.io"
	UpstreamPluginObjectStoreParam = "barmanObjectName"
	UpstreamPluginServerNameParam  = "serverName"
)

// SettingsConfigMapName is the ConfigMap, in the Cluster's namespace, that the webhook's controller renders
// with the archiver settings of the Cluster's current ObjectStore (key SettingsKey).
func SettingsConfigMapName(cluster string) string { return cluster + "-wal-archiver" }
