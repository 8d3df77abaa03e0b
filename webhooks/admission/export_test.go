package admission

import (
	admissionv1 "k8s.io/api/admission/v1"

	v1 "github.com/objectstore-webhook/objectstore-webhook/schema/barmancloud/v1"
)

// DecodePlain is the plain decoder the fast path must agree with.
func DecodePlain(body []byte, into any) error { return unmarshal(body, into) }

// FastReview exposes the fast path to the fuzz target.
func FastReview(body []byte) (*admissionv1.AdmissionReview, bool) { return fastReview(body) }

// ScanValid reports whether the scanner takes body as one JSON value.
func ScanValid(body []byte) bool {
	end := skipValue(body, 0, 0)
	return end >= 0 && skipSpace(body, end) == len(body)
}

// FastObjectStore exposes the ObjectStore fast path to the fuzz target.
func FastObjectStore(raw []byte) (*v1.ObjectStore, bool) {
	o := &v1.ObjectStore{}
	return o, fastObjectStore(raw, o)
}

// WithoutManagedFields is what DecodeObject hands the plain decoder.
func WithoutManagedFields(raw []byte) []byte { return withoutManagedFields(raw) }

// MarshalReview exposes the response encoder to the fuzz target.
func MarshalReview(out *admissionv1.AdmissionReview) ([]byte, error) { return marshalReview(out) }
