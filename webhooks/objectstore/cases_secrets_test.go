package objectstore

import (
	v1 "github.com/objectstore-webhook/objectstore-webhook/schema/barmancloud/v1"
)

func caKey(key string) *v1.ObjectStore {
	return with(minio, func(o *v1.ObjectStore) { o.Spec.Configuration.EndpointCA = ref("bad-ca", key) })
}

func secretCases() []ruleCase {
	caPath := []string{"spec.configuration.endpointCA.key"}
	return []ruleCase{
		{rule: "secret-ref", name: "dotted name", obj: with(s3Keys, func(o *v1.ObjectStore) {
			o.Spec.Configuration.AWS.AccessKeyIDReference = ref("aws.creds", "id")
			o.Spec.Configuration.AWS.SecretAccessKeyReference = ref("aws.creds", "secret")
		}), noGetter: true},
		{rule: "secret-ref", name: "empty name", obj: with(s3Keys, func(o *v1.ObjectStore) { o.Spec.Configuration.AWS.AccessKeyIDReference.Name = "" }),
			deny: []string{"spec.configuration.s3Credentials.accessKeyId.name"}},
		{rule: "secret-ref", name: "empty key", obj: with(s3Keys, func(o *v1.ObjectStore) { o.Spec.Configuration.AWS.SecretAccessKeyReference.Key = "" }),
			deny: []string{"spec.configuration.s3Credentials.secretAccessKey.key"}},
		{rule: "secret-ref", name: "invalid name", obj: with(azureKey, func(o *v1.ObjectStore) { o.Spec.Configuration.Azure.StorageKey.Name = "Azure_Creds" }),
			deny: []string{"spec.configuration.azureCredentials.storageKey.name"}},
		{rule: "secret-ref", name: "invalid key", obj: with(gcsJSON, func(o *v1.ObjectStore) { o.Spec.Configuration.Google.ApplicationCredentials.Key = "creds/json" }),
			deny: []string{"spec.configuration.googleCredentials.applicationCredentials.key"}},

		{rule: "secret-exists", name: "present", obj: s3Keys()},
		{rule: "secret-exists", name: "present as stringData", obj: with(s3Keys, func(o *v1.ObjectStore) {
			o.Spec.Configuration.AWS.AccessKeyIDReference.Name = "string-creds"
			o.Spec.Configuration.AWS.SecretAccessKeyReference.Name = "string-creds"
		})},
		{rule: "secret-exists", name: "missing Secret", obj: with(s3Keys, func(o *v1.ObjectStore) {
			o.Spec.Configuration.AWS.AccessKeyIDReference.Name = "aws-credentials"
		}), warn: []string{"spec.configuration.s3Credentials.accessKeyId.name"}},
		{rule: "secret-exists", name: "missing Secret, --secret-checks=deny", checks: SecretChecksDeny, obj: with(s3Keys, func(o *v1.ObjectStore) {
			o.Spec.Configuration.AWS.AccessKeyIDReference.Name = "aws-credentials"
		}), deny: []string{"spec.configuration.s3Credentials.accessKeyId.name"}},
		{rule: "secret-exists", name: "missing Secret, --secret-checks=off", checks: SecretChecksOff, obj: with(s3Keys, func(o *v1.ObjectStore) {
			o.Spec.Configuration.AWS.AccessKeyIDReference.Name = "aws-credentials"
		})},
		{rule: "secret-exists", name: "missing Secret, RBAC forbids reading", getter: forbidden{}, obj: with(s3Keys, func(o *v1.ObjectStore) {
			o.Spec.Configuration.AWS.AccessKeyIDReference.Name = "aws-credentials"
		})},
		{rule: "secret-exists", name: "namespace not in the input", obj: with(s3Keys, func(o *v1.ObjectStore) { o.Namespace = "elsewhere" })},
		{rule: "secret-exists", name: "missing key", obj: with(azureConn, func(o *v1.ObjectStore) {
			o.Spec.Configuration.Azure.ConnectionString.Key = "AZURE_STORAGE_CONNECTION_STRING"
		}), warn: []string{"spec.configuration.azureCredentials.connectionString.key"}},
		{rule: "secret-exists", name: "empty key", obj: with(s3Keys, func(o *v1.ObjectStore) { o.Spec.Configuration.AWS.AccessKeyIDReference.Key = "EMPTY" }),
			warn: []string{"spec.configuration.s3Credentials.accessKeyId.key"}},
		{rule: "secret-exists", name: "long names stay within the limit", obj: with(azureConn, func(o *v1.ObjectStore) {
			o.Spec.Configuration.Azure.ConnectionString = ref("a-very-long-secret-name-for-the-azure.connection-string-of-production",
				"A_VERY_LONG_KEY_NAME_FOR_THE_AZURE_CONNECTION_STRING")
		}), warn: []string{"spec.configuration.azureCredentials.connectionString.name"}},

		{rule: "endpoint-ca", name: "valid", obj: minio()},
		{rule: "endpoint-ca", name: "not PEM", obj: caKey("none"), warn: caPath},
		{rule: "endpoint-ca", name: "garbled certificate", obj: caKey("garbled"), warn: caPath},
		{rule: "endpoint-ca", name: "expired", obj: caKey("expired"), warn: caPath},
		{rule: "endpoint-ca", name: "expired, --secret-checks=deny", checks: SecretChecksDeny, obj: caKey("expired"), deny: caPath},
		{rule: "endpoint-ca", name: "expires in 10 days", obj: caKey("soon"), warn: caPath},
		{rule: "endpoint-ca", name: "not valid yet", obj: caKey("future"), warn: caPath},
		{rule: "endpoint-ca", name: "bundle with a private key", obj: caKey("withKey"), warn: caPath},

		{rule: "google-json", name: "service account key", obj: gcsJSON()},
		{rule: "google-json", name: "not JSON", obj: with(gcsJSON, func(o *v1.ObjectStore) { o.Spec.Configuration.Google.ApplicationCredentials.Key = "notJSON" }),
			warn: []string{"spec.configuration.googleCredentials.applicationCredentials.key"}},
		{rule: "google-json", name: "no type", obj: with(gcsJSON, func(o *v1.ObjectStore) { o.Spec.Configuration.Google.ApplicationCredentials.Key = "noType" }),
			warn: []string{"spec.configuration.googleCredentials.applicationCredentials.key"}},
	}
}
