package objectstore

import (
	"encoding/json"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/objectstore-webhook/objectstore-webhook/internal/location"
	v1 "github.com/objectstore-webhook/objectstore-webhook/schema/barmancloud/v1"
)

// googlePath checks gs://bucket/prefix and the console form barman rewrites to it.
func (v *validator) googlePath(dest string) {
	_, bucket, prefix := location.Split(dest)
	if bucket == "" {
		v.deny(field.Invalid(pathDest, displayURL(dest), "the bucket is missing; write gs://bucket/path"))
		return
	}
	if problem := gcsBucket(bucket); problem != "" {
		v.deny(field.Invalid(pathDest, displayURL(dest), "the bucket name is invalid: "+problem))
	}
	v.prefixPath(prefix)
}

// googleCredentials checks that exactly one of gkeEnvironment and applicationCredentials is set.
func (v *validator) googleCredentials(c *v1.GoogleCredentials) {
	switch {
	case !c.GKEEnvironment && c.ApplicationCredentials == nil:
		v.deny(field.Required(pathGoogle, "set gkeEnvironment: true (Workload Identity) or applicationCredentials"))
	case c.GKEEnvironment && c.ApplicationCredentials != nil:
		v.deny(field.Forbidden(pathGoogleAppCreds, "cannot be combined with gkeEnvironment: true; use one method"))
	}
	if ref := c.ApplicationCredentials; ref != nil {
		if data, ok := v.secretRef(pathGoogleAppCreds, ref, "credentials JSON"); ok {
			v.checkGoogleJSON(data)
		}
	}
}

// checkGoogleJSON checks that the credentials file is JSON with a type; the parser's error is never
// shown, since it quotes the bytes it choked on.
func (v *validator) checkGoogleJSON(data []byte) {
	var creds struct {
		Type string `json:"type"`
	}
	p := pathGoogleAppCreds.Child("key")
	if err := json.Unmarshal(data, &creds); err != nil {
		v.secretFindingf(p, "the value is not JSON; use a service account key file")
		return
	}
	if creds.Type == "" {
		v.secretFindingf(p, "the JSON has no \"type\"; use a service account key file")
	}
}
