package objectstore

import (
	"github.com/objectstore-webhook/objectstore-webhook/internal/contract"
	v1 "github.com/objectstore-webhook/objectstore-webhook/schema/barmancloud/v1"
)

func int32p(i int32) *int32 { return &i }

func intp(i int) *int { return &i }

func annotated(base func() *v1.ObjectStore, kv ...string) *v1.ObjectStore {
	return with(base, func(o *v1.ObjectStore) {
		o.Annotations = map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			o.Annotations[kv[i]] = kv[i+1]
		}
	})
}

func upstreamCases() []ruleCase {
	return []ruleCase{
		{rule: "retention-policy", name: "30d", obj: with(s3Keys, func(o *v1.ObjectStore) { o.Spec.RetentionPolicy = "30d" })},
		{rule: "retention-policy", name: "12w", obj: with(s3Keys, func(o *v1.ObjectStore) { o.Spec.RetentionPolicy = "12w" })},
		{rule: "retention-policy", name: "unknown unit", obj: with(s3Keys, func(o *v1.ObjectStore) { o.Spec.RetentionPolicy = "30y" }),
			deny: []string{"spec.retentionPolicy"}},
		{rule: "retention-policy", name: "unanchored prefix (barman-cloud's own regex accepts it)", obj: with(s3Keys, func(o *v1.ObjectStore) {
			o.Spec.RetentionPolicy = "foo30d"
		}), deny: []string{"spec.retentionPolicy"}},
		{rule: "retention-policy", name: "zero", obj: with(s3Keys, func(o *v1.ObjectStore) { o.Spec.RetentionPolicy = "0d" }),
			deny: []string{"spec.retentionPolicy"}},
		{rule: "retention-policy", name: "REDUNDANCY (plugin #677)", obj: with(s3Keys, func(o *v1.ObjectStore) { o.Spec.RetentionPolicy = "REDUNDANCY 3" }),
			deny: []string{"spec.retentionPolicy"}},

		{rule: "server-name", name: "unset", obj: s3Keys()},
		{rule: "server-name", name: "set", obj: with(s3Keys, func(o *v1.ObjectStore) { o.Spec.Configuration.ServerName = "pg" }),
			deny: []string{"spec.configuration.serverName"}},

		{rule: "enums", name: "all valid", obj: with(s3Keys, func(o *v1.ObjectStore) {
			o.Spec.Configuration.Wal = &v1.WalBackupConfiguration{Compression: v1.CompressionTypeZstd, Encryption: v1.EncryptionTypeKMS}
			o.Spec.Configuration.Data = &v1.DataBackupConfiguration{Compression: v1.CompressionTypeLz4, Encryption: v1.EncryptionTypeAES256}
			o.Spec.InstanceSidecarConfiguration.LogLevel = "debug"
		})},
		{rule: "enums", name: "wal compression", obj: with(s3Keys, func(o *v1.ObjectStore) {
			o.Spec.Configuration.Wal = &v1.WalBackupConfiguration{Compression: "zip"}
		}), deny: []string{"spec.configuration.wal.compression"}},
		{rule: "enums", name: "xz is for WAL only", obj: with(s3Keys, func(o *v1.ObjectStore) {
			o.Spec.Configuration.Data = &v1.DataBackupConfiguration{Compression: v1.CompressionTypeXz}
		}), deny: []string{"spec.configuration.data.compression"}},
		{rule: "enums", name: "encryption", obj: with(s3Keys, func(o *v1.ObjectStore) {
			o.Spec.Configuration.Wal = &v1.WalBackupConfiguration{Encryption: "aes256"}
		}), deny: []string{"spec.configuration.wal.encryption"}},
		{rule: "enums", name: "log level", obj: with(s3Keys, func(o *v1.ObjectStore) { o.Spec.InstanceSidecarConfiguration.LogLevel = "verbose" }),
			deny: []string{"spec.instanceSidecarConfiguration.logLevel"}},

		{rule: "minimums", name: "set", obj: with(s3Keys, func(o *v1.ObjectStore) {
			o.Spec.Configuration.Wal = &v1.WalBackupConfiguration{MaxParallel: intp(8)}
			o.Spec.Configuration.Data = &v1.DataBackupConfiguration{Jobs: int32p(4)}
		})},
		{rule: "minimums", name: "negative maxParallel", obj: with(s3Keys, func(o *v1.ObjectStore) {
			o.Spec.Configuration.Wal = &v1.WalBackupConfiguration{MaxParallel: intp(-1)}
		}), deny: []string{"spec.configuration.wal.maxParallel"}},
		{rule: "minimums", name: "zero maxParallel (the CRD's minimum is 1)", obj: with(s3Keys, func(o *v1.ObjectStore) {
			o.Spec.Configuration.Wal = &v1.WalBackupConfiguration{MaxParallel: intp(0)}
		}), deny: []string{"spec.configuration.wal.maxParallel"}},
		{rule: "minimums", name: "maxParallel absent", obj: with(s3Keys, func(o *v1.ObjectStore) {
			o.Spec.Configuration.Wal = &v1.WalBackupConfiguration{Compression: v1.CompressionTypeGzip}
		})},
		{rule: "minimums", name: "zero jobs", obj: with(s3Keys, func(o *v1.ObjectStore) {
			o.Spec.Configuration.Data = &v1.DataBackupConfiguration{Jobs: int32p(0)}
		}), deny: []string{"spec.configuration.data.jobs"}},

		{rule: "log-level-arg", name: "other flag", obj: with(s3Keys, func(o *v1.ObjectStore) {
			o.Spec.InstanceSidecarConfiguration.AdditionalContainerArgs = []string{"--log-format=json"}
		})},
		{rule: "log-level-arg", name: "--log-level", obj: with(s3Keys, func(o *v1.ObjectStore) {
			o.Spec.InstanceSidecarConfiguration.AdditionalContainerArgs = []string{"--log-level=debug"}
		}), deny: []string{"spec.instanceSidecarConfiguration.additionalContainerArgs"}},

		{rule: "retention-interval", name: "positive", obj: with(s3Keys, func(o *v1.ObjectStore) {
			o.Spec.InstanceSidecarConfiguration.RetentionPolicyIntervalSeconds = 3600
		})},
		{rule: "retention-interval", name: "negative", obj: with(s3Keys, func(o *v1.ObjectStore) {
			o.Spec.InstanceSidecarConfiguration.RetentionPolicyIntervalSeconds = -60
		}), deny: []string{"spec.instanceSidecarConfiguration.retentionPolicyIntervalSeconds"}},
		{rule: "retention-interval", name: "below a minute", obj: with(s3Keys, func(o *v1.ObjectStore) {
			o.Spec.InstanceSidecarConfiguration.RetentionPolicyIntervalSeconds = 10
		}), warn: []string{"spec.instanceSidecarConfiguration.retentionPolicyIntervalSeconds"}},

		{rule: "archiver-ignored", name: "data settings wal-archiver implements", obj: with(s3Keys, func(o *v1.ObjectStore) {
			o.Spec.Configuration.Data = &v1.DataBackupConfiguration{Compression: "lz4", Jobs: int32p(8), ImmediateCheckpoint: true, Encryption: "AES256"}
		})},
		{rule: "archiver-ignored", name: "backup and restore arguments", obj: with(s3Keys, func(o *v1.ObjectStore) {
			o.Spec.Configuration.Data = &v1.DataBackupConfiguration{AdditionalCommandArgs: []string{"--min-chunk-size=5MB"},
				RestoreAdditionalCommandArgs: []string{"--read-timeout=60"}}
		}), warn: []string{"spec.configuration.data.additionalCommandArgs", "spec.configuration.data.restoreAdditionalCommandArgs"}},
		{rule: "archiver-ignored", name: "WAL arguments", obj: with(s3Keys, func(o *v1.ObjectStore) {
			o.Spec.Configuration.Wal = &v1.WalBackupConfiguration{ArchiveAdditionalCommandArgs: []string{"--max-concurrency=4"},
				RestoreAdditionalCommandArgs: []string{"--read-timeout=60"}}
		}), warn: []string{"spec.configuration.wal.archiveAdditionalCommandArgs", "spec.configuration.wal.restoreAdditionalCommandArgs"}},

		{rule: "tags", name: "plain", obj: with(s3Keys, func(o *v1.ObjectStore) {
			o.Spec.Configuration.Tags = map[string]string{"team": "db", "env": "prod"}
			o.Spec.Configuration.HistoryTags = map[string]string{"kind": "history"}
		})},
		{rule: "tags", name: "comma in a value", obj: with(s3Keys, func(o *v1.ObjectStore) {
			o.Spec.Configuration.Tags = map[string]string{"team": "db,ops", "env": "prod"}
		}), deny: []string{"spec.configuration.tags[team]"}},
		{rule: "tags", name: "quote in a history key", obj: with(s3Keys, func(o *v1.ObjectStore) {
			o.Spec.Configuration.HistoryTags = map[string]string{`"kind"`: "history"}
		}), deny: []string{`spec.configuration.historyTags["kind"]`}},
		{rule: "tags", name: "empty key", obj: with(s3Keys, func(o *v1.ObjectStore) { o.Spec.Configuration.Tags = map[string]string{"": "x"} }),
			deny: []string{"spec.configuration.tags[]"}},

		{rule: "args", name: "the archiver's own, separate elements", obj: with(s3Keys, func(o *v1.ObjectStore) {
			o.Spec.InstanceSidecarConfiguration.AdditionalContainerArgs = []string{"--partial-interval", "30s", "--slot=pg_archiver"}
		})},
		{rule: "args", name: "separate elements", obj: with(s3Keys, func(o *v1.ObjectStore) {
			o.Spec.Configuration.Wal = &v1.WalBackupConfiguration{ArchiveAdditionalCommandArgs: []string{"--max-concurrency", "4", "--min-chunk-size=5MB"}}
			o.Spec.Configuration.Data = &v1.DataBackupConfiguration{AdditionalCommandArgs: []string{"--read-timeout=60", "--tags=team db"}}
		}), warn: []string{"spec.configuration.wal.archiveAdditionalCommandArgs", "spec.configuration.data.additionalCommandArgs"}},
		{rule: "args", name: "flag and value in one element (plugin #428)", obj: with(s3Keys, func(o *v1.ObjectStore) {
			o.Spec.Configuration.Data = &v1.DataBackupConfiguration{AdditionalCommandArgs: []string{"--min-chunk-size=5MB", "--max-single-put-size 16777216"}}
		}), deny: []string{"spec.configuration.data.additionalCommandArgs[1]"}, warn: []string{"spec.configuration.data.additionalCommandArgs"}},
		{rule: "args", name: "short flag with value", obj: with(s3Keys, func(o *v1.ObjectStore) {
			o.Spec.Configuration.Wal = &v1.WalBackupConfiguration{RestoreAdditionalCommandArgs: []string{"-e AES256"}}
		}), deny: []string{"spec.configuration.wal.restoreAdditionalCommandArgs[0]"}, warn: []string{"spec.configuration.wal.restoreAdditionalCommandArgs"}},
	}
}

func identityCases() []ruleCase {
	arn := []string{"metadata.annotations[" + contract.StoreAWSRoleARN + "]"}
	podID := []string{"metadata.annotations[" + contract.StoreAWSPodIdentity + "]"}
	gsa := []string{"metadata.annotations[" + contract.StoreGCPServiceAccount + "]"}
	client := []string{"metadata.annotations[" + contract.StoreAzureClientID + "]"}
	tenant := []string{"metadata.annotations[" + contract.StoreAzureTenantID + "]"}
	const guid = "3f2504e0-4f89-11d3-9a0c-0305e82c3301"
	return []ruleCase{
		{rule: "aws-role-arn", name: "IRSA", obj: annotated(s3IAM, contract.StoreAWSRoleARN, "arn:aws:iam::123456789012:role/pg/backup")},
		{rule: "aws-role-arn", name: "GovCloud", obj: annotated(s3IAM, contract.StoreAWSRoleARN, "arn:aws-us-gov:iam::123456789012:role/backup")},
		{rule: "aws-role-arn", name: "user, not role", obj: annotated(s3IAM, contract.StoreAWSRoleARN, "arn:aws:iam::123456789012:user/backup"), deny: arn},
		{rule: "aws-role-arn", name: "short account", obj: annotated(s3IAM, contract.StoreAWSRoleARN, "arn:aws:iam::12345:role/backup"), deny: arn},
		{rule: "aws-role-arn", name: "unknown partition", obj: annotated(s3IAM, contract.StoreAWSRoleARN, "arn:aws-eu:iam::123456789012:role/backup"), deny: arn},
		{rule: "aws-role-arn", name: "with keys", obj: annotated(s3Keys, contract.StoreAWSRoleARN, "arn:aws:iam::123456789012:role/backup"), warn: arn},

		{rule: "aws-pod-identity", name: "EKS Pod Identity", obj: annotated(s3IAM, contract.StoreAWSPodIdentity, "true")},
		{rule: "aws-pod-identity", name: "switched off", obj: annotated(s3Keys, contract.StoreAWSPodIdentity, "false")},
		{rule: "aws-pod-identity", name: "yes", obj: annotated(s3IAM, contract.StoreAWSPodIdentity, "yes"), deny: podID},
		{rule: "aws-pod-identity", name: "with keys", obj: annotated(s3Keys, contract.StoreAWSPodIdentity, "true"), warn: podID},
		{rule: "aws-pod-identity", name: "and a role ARN", obj: annotated(s3IAM, contract.StoreAWSPodIdentity, "true",
			contract.StoreAWSRoleARN, "arn:aws:iam::123456789012:role/backup"), warn: arn},

		{rule: "gcp-service-account", name: "Workload Identity", obj: annotated(gcsGKE, contract.StoreGCPServiceAccount, "pg-backup@my-project.iam.gserviceaccount.com")},
		{rule: "gcp-service-account", name: "not an email", obj: annotated(gcsGKE, contract.StoreGCPServiceAccount, "pg-backup"), deny: gsa},
		{rule: "gcp-service-account", name: "name too short", obj: annotated(gcsGKE, contract.StoreGCPServiceAccount, "pg@my-project.iam.gserviceaccount.com"), deny: gsa},
		{rule: "gcp-service-account", name: "with a key file", obj: annotated(gcsJSON, contract.StoreGCPServiceAccount, "pg-backup@my-project.iam.gserviceaccount.com"), warn: gsa},

		{rule: "azure-identity", name: "client", obj: annotated(azureAD, contract.StoreAzureClientID, guid)},
		{rule: "azure-identity", name: "client and tenant", obj: annotated(azureAD, contract.StoreAzureClientID, guid, contract.StoreAzureTenantID, guid)},
		{rule: "azure-identity", name: "client not a GUID", obj: annotated(azureAD, contract.StoreAzureClientID, "backup-identity"), deny: client},
		{rule: "azure-identity", name: "tenant not a GUID", obj: annotated(azureAD, contract.StoreAzureClientID, guid, contract.StoreAzureTenantID, "contoso.onmicrosoft.com"), deny: tenant},
		{rule: "azure-identity", name: "tenant without client", obj: annotated(azureAD, contract.StoreAzureTenantID, guid), deny: client},
		{rule: "azure-identity", name: "with a storage key", obj: annotated(azureKey, contract.StoreAzureClientID, guid), warn: client},
	}
}
