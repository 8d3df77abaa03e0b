package objectstore

import (
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/objectstore-webhook/objectstore-webhook/contract"
)

// Field paths are built once: the rules run on every admission review and must not allocate when the
// store is valid.
var (
	pathSpec            = field.NewPath("spec")
	pathRetention       = pathSpec.Child("retentionPolicy")
	pathCfg             = pathSpec.Child("configuration")
	pathDest            = pathCfg.Child("destinationPath")
	pathServerName      = pathCfg.Child("serverName")
	pathEndpointURL     = pathCfg.Child("endpointURL")
	pathEndpointCA      = pathCfg.Child("endpointCA")
	pathTags            = pathCfg.Child("tags")
	pathHistoryTags     = pathCfg.Child("historyTags")
	pathWal             = pathCfg.Child("wal")
	pathWalCompression  = pathWal.Child("compression")
	pathWalEncryption   = pathWal.Child("encryption")
	pathWalMaxParallel  = pathWal.Child("maxParallel")
	pathWalArchiveArgs  = pathWal.Child("archiveAdditionalCommandArgs")
	pathWalRestoreArgs  = pathWal.Child("restoreAdditionalCommandArgs")
	pathData            = pathCfg.Child("data")
	pathDataCompression = pathData.Child("compression")
	pathDataEncryption  = pathData.Child("encryption")
	pathDataJobs        = pathData.Child("jobs")
	pathDataArgs        = pathData.Child("additionalCommandArgs")
	pathDataRestoreArgs = pathData.Child("restoreAdditionalCommandArgs")

	pathSidecar          = pathSpec.Child("instanceSidecarConfiguration")
	pathSidecarArgs      = pathSidecar.Child("additionalContainerArgs")
	pathSidecarLogLevel  = pathSidecar.Child("logLevel")
	pathSidecarInterval  = pathSidecar.Child("retentionPolicyIntervalSeconds")
	pathS3               = pathCfg.Child("s3Credentials")
	pathS3AccessKey      = pathS3.Child("accessKeyId")
	pathS3SecretKey      = pathS3.Child("secretAccessKey")
	pathS3Region         = pathS3.Child("region")
	pathS3SessionToken   = pathS3.Child("sessionToken")
	pathS3IAMRole        = pathS3.Child("inheritFromIAMRole")
	pathAzure            = pathCfg.Child("azureCredentials")
	pathAzureConnString  = pathAzure.Child("connectionString")
	pathAzureAccount     = pathAzure.Child("storageAccount")
	pathAzureKey         = pathAzure.Child("storageKey")
	pathAzureSAS         = pathAzure.Child("storageSasToken")
	pathAzureAD          = pathAzure.Child("inheritFromAzureAD")
	pathAzureDefault     = pathAzure.Child("useDefaultAzureCredentials")
	pathGoogle           = pathCfg.Child("googleCredentials")
	pathGoogleAppCreds   = pathGoogle.Child("applicationCredentials")
	pathGoogleGKE        = pathGoogle.Child("gkeEnvironment")
	pathAnnotations      = field.NewPath("metadata", "annotations")
	pathAnnAWSRoleARN    = pathAnnotations.Key(contract.StoreAWSRoleARN)
	pathAnnGCPSA         = pathAnnotations.Key(contract.StoreGCPServiceAccount)
	pathAnnAzureClientID = pathAnnotations.Key(contract.StoreAzureClientID)
	pathAnnAzureTenantID = pathAnnotations.Key(contract.StoreAzureTenantID)
)
