package admission

import admissionv1 "k8s.io/api/admission/v1"

// FastReview exposes the fast path to the fuzz target.
func FastReview(body []byte) (*admissionv1.AdmissionReview, bool) {
	return fastReview(body, reviewConstants)
}

// MarshalReview exposes the response encoder to the fuzz target.
func MarshalReview(out *admissionv1.AdmissionReview) ([]byte, error) { return marshalReview(out) }
