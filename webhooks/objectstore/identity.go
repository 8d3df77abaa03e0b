package objectstore

import (
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/objectstore-webhook/objectstore-webhook/internal/contract"
	v1 "github.com/objectstore-webhook/objectstore-webhook/schema/barmancloud/v1"
)

// identities checks the cloud identity annotations the Cluster webhook copies onto the Cluster's
// ServiceAccount (or, for EKS Pod Identity, the pod webhook reads): their form, and that the credentials
// block uses an identity at all.
func (v *validator) identities(o *v1.ObjectStore, prov provider) {
	ann := o.Annotations
	if len(ann) == 0 {
		return
	}
	cfg := &o.Spec.Configuration
	podIdentity, hasPodIdentity := ann[contract.StoreAWSPodIdentity]
	if hasPodIdentity {
		switch {
		case podIdentity != "true" && podIdentity != "false":
			v.deny(field.NotSupported(pathAnnAWSPodID, clip(podIdentity, maxValueInDenial), []string{"true", "false"}))
		case podIdentity == "true" && (prov != providerS3 || !cfg.AWS.InheritFromIAMRole):
			v.warn(pathAnnAWSPodID, "used only with s3Credentials.inheritFromIAMRole: true")
		}
	}
	if arn, ok := ann[contract.StoreAWSRoleARN]; ok {
		switch {
		case !isRoleARN(arn):
			v.deny(field.Invalid(pathAnnAWSRoleARN, clip(arn, maxValueInDenial), "write an IAM role ARN, e.g. arn:aws:iam::123456789012:role/backup (partition aws, aws-cn or aws-us-gov)"))
		case prov != providerS3 || !cfg.AWS.InheritFromIAMRole:
			v.warn(pathAnnAWSRoleARN, "used only with s3Credentials.inheritFromIAMRole: true")
		case podIdentity == "true":
			// The EKS webhook prefers an association too; the role would only be dead weight.
			v.warn(pathAnnAWSRoleARN, "the pod webhook ignores it: aws-pod-identity \"true\" wins")
		}
	}
	if gsa, ok := ann[contract.StoreGCPServiceAccount]; ok {
		switch {
		case !isGCPServiceAccount(gsa):
			v.deny(field.Invalid(pathAnnGCPSA, clip(gsa, maxValueInDenial), "write a service account email, e.g. backup@my-project.iam.gserviceaccount.com"))
		case prov != providerGoogle || !cfg.Google.GKEEnvironment:
			v.warn(pathAnnGCPSA, "used only with googleCredentials.gkeEnvironment: true")
		}
	}
	client, hasClient := ann[contract.StoreAzureClientID]
	tenant, hasTenant := ann[contract.StoreAzureTenantID]
	if hasClient && !isGUID(client) {
		v.deny(field.Invalid(pathAnnAzureClientID, clip(client, maxValueInDenial), "write a GUID, e.g. 00000000-0000-0000-0000-000000000000"))
	}
	if hasTenant && !isGUID(tenant) {
		v.deny(field.Invalid(pathAnnAzureTenantID, clip(tenant, maxValueInDenial), "write a GUID, e.g. 00000000-0000-0000-0000-000000000000"))
	}
	if hasTenant && !hasClient {
		v.deny(field.Required(pathAnnAzureClientID, "set it too; a tenant ID alone selects no identity"))
	}
	if hasClient && (prov != providerAzure || !(cfg.Azure.InheritFromAzureAD || cfg.Azure.UseDefaultAzureCredentials)) {
		v.warn(pathAnnAzureClientID, "needs inheritFromAzureAD or useDefaultAzureCredentials")
	}
}
