package objectstore

import (
	v1 "github.com/objectstore-webhook/objectstore-webhook/schema/barmancloud/v1"
)

func dest(base func() *v1.ObjectStore, d string) *v1.ObjectStore {
	return with(base, func(o *v1.ObjectStore) { o.Spec.Configuration.DestinationPath = d })
}

func compatible(d string) *v1.ObjectStore {
	return with(minio, func(o *v1.ObjectStore) { o.Spec.Configuration.DestinationPath = d })
}

func s3Cases() []ruleCase {
	dp := []string{"spec.configuration.destinationPath"}
	return []ruleCase{
		{rule: "s3-bucket", name: "dots and digits", obj: dest(s3Keys, "s3://pg.backups-2026/db")},
		{rule: "s3-bucket", name: "bucket only", obj: dest(s3Keys, "s3://backups")},
		{rule: "s3-bucket", name: "missing", obj: dest(s3Keys, "s3:///db"), deny: dp},
		{rule: "s3-bucket", name: "uppercase on AWS", obj: dest(s3Keys, "s3://PG_Backups/db"), deny: dp},
		{rule: "s3-bucket", name: "too short", obj: dest(s3Keys, "s3://pg/db"), deny: dp},
		{rule: "s3-bucket", name: "bad character", obj: dest(s3Keys, "s3://pg+backups/db"), deny: dp},
		{rule: "s3-bucket", name: "ends with dash", obj: dest(s3Keys, "s3://backups-/db"), deny: dp},
		{rule: "s3-bucket", name: "two dots", obj: dest(s3Keys, "s3://pg..backups/db"), deny: dp},
		{rule: "s3-bucket", name: "IP address", obj: dest(s3Keys, "s3://192.168.10.1/db"), deny: dp},
		{rule: "s3-bucket", name: "AWS reserved prefix", obj: dest(s3Keys, "s3://xn--backups/db"), deny: dp},
		{rule: "s3-bucket", name: "AWS reserved suffix", obj: dest(s3Keys, "s3://backups-s3alias/db"), deny: dp},
		{rule: "s3-bucket", name: "compatible: AWS reservation lifted", obj: compatible("s3://xn--backups/db")},
		{rule: "s3-bucket", name: "compatible: uppercase warns", obj: compatible("s3://PG_Backups/db"), warn: dp},
		{rule: "s3-bucket", name: "compatible: short warns", obj: compatible("s3://pg/db"), warn: dp},
		{rule: "s3-bucket", name: "compatible: bad character denies", obj: compatible("s3://pg backups/db"), deny: dp},

		{rule: "s3-keys", name: "keys", obj: s3Keys()},
		{rule: "s3-keys", name: "IAM role", obj: s3IAM()},
		{rule: "s3-keys", name: "access key alone", obj: with(s3Keys, func(o *v1.ObjectStore) { o.Spec.Configuration.AWS.SecretAccessKeyReference = nil }),
			deny: []string{"spec.configuration.s3Credentials.secretAccessKey"}},
		{rule: "s3-keys", name: "secret key alone", obj: with(s3Keys, func(o *v1.ObjectStore) { o.Spec.Configuration.AWS.AccessKeyIDReference = nil }),
			deny: []string{"spec.configuration.s3Credentials.accessKeyId"}},
		{rule: "s3-keys", name: "no method", obj: with(s3Keys, func(o *v1.ObjectStore) { o.Spec.Configuration.AWS = &v1.S3Credentials{} }),
			deny: []string{"spec.configuration.s3Credentials"}},
		{rule: "s3-keys", name: "keys and IAM role", obj: with(s3Keys, func(o *v1.ObjectStore) { o.Spec.Configuration.AWS.InheritFromIAMRole = true }),
			deny: []string{"spec.configuration.s3Credentials.inheritFromIAMRole"}},

		{rule: "s3-iam-ignored", name: "region with keys", obj: with(s3Keys, func(o *v1.ObjectStore) { o.Spec.Configuration.AWS.RegionReference = ref("aws-creds", "REGION") })},
		{rule: "s3-iam-ignored", name: "region with IAM role", obj: with(s3IAM, func(o *v1.ObjectStore) { o.Spec.Configuration.AWS.RegionReference = ref("aws-creds", "REGION") }),
			warn: []string{"spec.configuration.s3Credentials.region"}},
		{rule: "s3-iam-ignored", name: "session token with IAM role", obj: with(s3IAM, func(o *v1.ObjectStore) {
			o.Spec.Configuration.AWS.SessionToken = ref("aws-creds", "REGION")
		}), warn: []string{"spec.configuration.s3Credentials.sessionToken"}},
	}
}

func azureCases() []ruleCase {
	dp := []string{"spec.configuration.destinationPath"}
	return []ruleCase{
		{rule: "azure-path", name: "account key", obj: azureKey()},
		{rule: "azure-path", name: "container only", obj: dest(azureKey, "https://acct01.blob.core.windows.net/backups")},
		{rule: "azure-path", name: "missing container", obj: dest(azureKey, "https://acct01.blob.core.windows.net/"), deny: dp},
		{rule: "azure-path", name: "uppercase container (plugin #649)", obj: dest(azureKey, "https://acct01.blob.core.windows.net/mypgBackup"), deny: dp},
		{rule: "azure-path", name: "double dash in container", obj: dest(azureKey, "https://acct01.blob.core.windows.net/pg--backups"), deny: dp},
		{rule: "azure-path", name: "account too long", obj: dest(azureKey, "https://thisaccountnameiswaytoolong.blob.core.windows.net/backups"), deny: dp},
		{rule: "azure-path", name: "account with dash", obj: dest(azureKey, "https://my-acct.blob.core.windows.net/backups"), deny: dp},
		{rule: "azure-path", name: "dfs endpoint", obj: dest(azureKey, "https://acct01.dfs.core.windows.net/backups"), deny: dp},
		{rule: "azure-path", name: "explicit port", obj: dest(azureKey, "https://acct01.blob.core.windows.net:443/backups"), deny: dp},
		{rule: "azure-path", name: "missing host", obj: dest(azureKey, "https:///backups"), deny: dp},
		{rule: "azure-path", name: "plain http", obj: dest(azureKey, "http://acct01.blob.core.windows.net/backups"), warn: dp},
		{rule: "azure-path", name: "sovereign cloud", obj: dest(azureKey, "https://acct01.blob.core.chinacloudapi.cn/backups"), warn: dp},
		{rule: "azure-path", name: "government cloud", obj: dest(azureKey, "https://acct01.blob.core.usgovcloudapi.net/backups"), warn: dp},
		{rule: "azure-path", name: "DNS-zone endpoint (wal-archiver serves it)", obj: dest(azureKey, "https://acct01.z12.blob.storage.azure.net/backups/db"), warn: dp},
		{rule: "azure-path", name: "private link", obj: dest(azureKey, "https://acct01.privatelink.blob.core.windows.net/backups/db")},
		{rule: "azure-path", name: "DNS-zone dfs endpoint", obj: dest(azureKey, "https://acct01.z12.dfs.storage.azure.net/backups"), deny: dp},

		{rule: "azure-emulator", name: "azurite", obj: azurite()},
		{rule: "azure-emulator", name: "without connection string", obj: dest(azureKey, "http://azurite:10000/devstoreaccount1/backups"), deny: dp},
		{rule: "azure-emulator", name: "missing container", obj: dest(azureConn, "http://azurite:10000/devstoreaccount1"), deny: dp},
		{rule: "azure-emulator", name: "bad account", obj: dest(azureConn, "http://azurite:10000/Dev_Account/backups"), deny: dp},
		{rule: "azure-emulator", name: "typo in the cloud host", obj: dest(azureKey, "https://acct01.blob.core.windows.com/backups/db"), deny: dp},

		{rule: "azure-credentials", name: "connection string", obj: azureConn()},
		{rule: "azure-credentials", name: "SAS token", obj: with(azureKey, func(o *v1.ObjectStore) {
			o.Spec.Configuration.Azure.StorageKey = nil
			o.Spec.Configuration.Azure.StorageSasToken = ref("azure-creds", "AZURE_STORAGE_SAS_TOKEN")
		})},
		{rule: "azure-credentials", name: "Azure AD", obj: azureAD()},
		{rule: "azure-credentials", name: "default credentials", obj: with(azureAD, func(o *v1.ObjectStore) {
			o.Spec.Configuration.Azure = &v1.AzureCredentials{UseDefaultAzureCredentials: true}
		})},
		{rule: "azure-credentials", name: "connection string and account", obj: with(azureConn, func(o *v1.ObjectStore) {
			o.Spec.Configuration.Azure.StorageAccount = ref("azure-creds", "AZURE_STORAGE_ACCOUNT")
			o.Spec.Configuration.Azure.InheritFromAzureAD = true
		}), deny: []string{"spec.configuration.azureCredentials.storageAccount", "spec.configuration.azureCredentials.inheritFromAzureAD"}},
		{rule: "azure-credentials", name: "no method", obj: with(azureKey, func(o *v1.ObjectStore) { o.Spec.Configuration.Azure.StorageKey = nil }),
			deny: []string{"spec.configuration.azureCredentials"}},
		{rule: "azure-credentials", name: "key and SAS", obj: with(azureKey, func(o *v1.ObjectStore) {
			o.Spec.Configuration.Azure.StorageSasToken = ref("azure-creds", "AZURE_STORAGE_SAS_TOKEN")
		}), deny: []string{"spec.configuration.azureCredentials.storageSasToken"}},
		{rule: "azure-credentials", name: "Azure AD and default", obj: with(azureAD, func(o *v1.ObjectStore) {
			o.Spec.Configuration.Azure.UseDefaultAzureCredentials = true
		}), deny: []string{"spec.configuration.azureCredentials.useDefaultAzureCredentials"}},
		{rule: "azure-credentials", name: "key without account (plugin #705)", obj: with(azureKey, func(o *v1.ObjectStore) {
			o.Spec.Configuration.Azure.StorageAccount = nil
		}), deny: []string{"spec.configuration.azureCredentials.storageAccount"}},
	}
}

// googleConsoleForm is the Cloud Console URL of a bucket, which barman rewrites to gs://.
const googleConsoleForm = "https://console.cloud.google.com/storage/browser/"

func googleCases() []ruleCase {
	dp := []string{"spec.configuration.destinationPath"}
	return []ruleCase{
		{rule: "google-bucket", name: "underscore", obj: dest(gcsGKE, "gs://pg_backups/db")},
		{rule: "google-bucket", name: "dotted", obj: dest(gcsGKE, "gs://backups.example.com/db")},
		{rule: "google-bucket", name: "missing", obj: dest(gcsGKE, "gs:///db"), deny: dp},
		{rule: "google-bucket", name: "console form without bucket", obj: dest(gcsGKE, googleConsoleForm), deny: dp},
		{rule: "google-bucket", name: "uppercase", obj: dest(gcsGKE, "gs://PG-Backups/db"), deny: dp},
		{rule: "google-bucket", name: "goog prefix", obj: dest(gcsGKE, "gs://goog-backups/db"), deny: dp},
		{rule: "google-bucket", name: "google inside", obj: dest(gcsGKE, "gs://my-google-backups/db"), deny: dp},
		{rule: "google-bucket", name: "too long", obj: dest(gcsGKE, "gs://a234567890123456789012345678901234567890123456789012345678901234/db"), deny: dp},

		{rule: "google-credentials", name: "GKE", obj: gcsGKE()},
		{rule: "google-credentials", name: "JSON", obj: gcsJSON()},
		{rule: "google-credentials", name: "none", obj: with(gcsGKE, func(o *v1.ObjectStore) { o.Spec.Configuration.Google.GKEEnvironment = false }),
			deny: []string{"spec.configuration.googleCredentials"}},
		{rule: "google-credentials", name: "both", obj: with(gcsJSON, func(o *v1.ObjectStore) { o.Spec.Configuration.Google.GKEEnvironment = true }),
			deny: []string{"spec.configuration.googleCredentials.applicationCredentials"}},
	}
}
