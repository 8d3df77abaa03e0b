package objectstore

import (
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/objectstore-webhook/objectstore-webhook/internal/location"
	v1 "github.com/objectstore-webhook/objectstore-webhook/schema/barmancloud/v1"
)

// s3Path checks s3://bucket/prefix. With an endpointURL the store is S3-compatible: AWS's reserved names
// are not checked and uppercase, '_' and odd lengths warn, since some of those stores accept them.
func (v *validator) s3Path(dest string, compatible bool) {
	_, bucket, prefix := location.Split(dest)
	if bucket == "" {
		v.deny(field.Invalid(pathDest, displayURL(dest), "the bucket is missing; write s3://bucket/path"))
		return
	}
	problem, tolerated := s3Bucket(bucket, compatible)
	switch {
	case problem == "":
	case tolerated && compatible:
		v.warn(pathDest, "bucket "+q(bucket, maxNameInMessage)+" breaks AWS naming; S3-compatible stores may refuse it")
	default:
		v.deny(field.Invalid(pathDest, displayURL(dest), "the bucket name is invalid: "+problem))
	}
	v.prefixPath(prefix)
}

// s3Credentials checks the combinations barman-cloud defines: both keys or neither, and exactly one of
// keys and inheritFromIAMRole.
func (v *validator) s3Credentials(c *v1.S3Credentials) {
	hasID, hasSecret := c.AccessKeyIDReference != nil, c.SecretAccessKeyReference != nil
	switch {
	case hasID && !hasSecret:
		v.deny(field.Required(pathS3SecretKey, "set secretAccessKey together with accessKeyId"))
	case hasSecret && !hasID:
		v.deny(field.Required(pathS3AccessKey, "set accessKeyId together with secretAccessKey"))
	case !hasID && !c.InheritFromIAMRole:
		v.deny(field.Required(pathS3, "set accessKeyId and secretAccessKey, or inheritFromIAMRole: true"))
	}
	if (hasID || hasSecret) && c.InheritFromIAMRole {
		v.deny(field.Forbidden(pathS3IAMRole, "cannot be combined with accessKeyId and secretAccessKey; use one method"))
	}
	if c.InheritFromIAMRole {
		if c.RegionReference != nil {
			// The pod webhook passes the region to wal-archiver whatever the credentials mode.
			v.warn(pathS3Region, "barman-cloud ignores it with inheritFromIAMRole; wal-archiver uses it")
		}
		if c.SessionToken != nil {
			v.warn(pathS3SessionToken, "ignored by both barman-cloud and wal-archiver with inheritFromIAMRole")
		}
	}
	v.optionalRef(pathS3AccessKey, c.AccessKeyIDReference, "access key ID")
	v.optionalRef(pathS3SecretKey, c.SecretAccessKeyReference, "secret access key")
	v.optionalRef(pathS3Region, c.RegionReference, "region")
	v.optionalRef(pathS3SessionToken, c.SessionToken, "session token")
}
