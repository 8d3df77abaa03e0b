package admission

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"

	admissionv1 "k8s.io/api/admission/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/objectstore-webhook/objectstore-webhook/internal/jsonscan"
)

// The review kinds accepted. v1beta1 has the same JSON shape as v1 for everything read and written here, so
// an API server still configured with admissionReviewVersions [v1beta1] is answered in its own version.
const (
	reviewKind      = "AdmissionReview"
	reviewV1        = "admission.k8s.io/v1"
	reviewV1beta1   = "admission.k8s.io/v1beta1"
	jsonContentType = "application/json"
)

// ReviewError is a review that cannot be answered for what it is: it is malformed, or not a review at all.
// Code is the HTTP status it is answered with.
type ReviewError struct {
	Code    int
	Message string
}

func (e *ReviewError) Error() string { return e.Message }

func badReview(format string, args ...any) *ReviewError {
	return &ReviewError{Code: http.StatusBadRequest, Message: fmt.Sprintf(format, args...)}
}

// DecodeReview parses body as an AdmissionReview with a request. Keys are matched case-sensitively, as the
// API server does. Any error is a *ReviewError. The request's Object.Raw and OldObject.Raw may point into
// body, which must not change while the review is in use.
func DecodeReview(body []byte) (*admissionv1.AdmissionReview, error) {
	return decodeReview(body, reviewConstants)
}

// decodeReview is DecodeReview with names the values it interns.
func decodeReview(body []byte, names *jsonscan.Interner) (*admissionv1.AdmissionReview, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, badReview("empty body: expected an %s %s as JSON", reviewV1, reviewKind)
	}
	review, err := decodeReviewJSON(body, names)
	if err != nil {
		return nil, badReview("the body is not an %s %s: %s", reviewV1, reviewKind, jsonscan.ErrorText(err))
	}
	if review.Kind != reviewKind || (review.APIVersion != reviewV1 && review.APIVersion != reviewV1beta1) {
		return nil, badReview("expected apiVersion %s and kind %s, got apiVersion %q and kind %q",
			reviewV1, reviewKind, review.APIVersion, review.Kind)
	}
	req := review.Request
	if req == nil {
		return nil, badReview("the %s has no request", reviewKind)
	}
	if req.UID == "" {
		return nil, badReview("the %s request has no uid", reviewKind)
	}
	if req.Resource.Resource == "" || req.Resource.Version == "" {
		return nil, badReview("the %s request names no resource (request.resource.version and .resource are required)", reviewKind)
	}
	return review, nil
}

// decodeReviewJSON takes the fast path when the review has the API server's shape, the plain decoder
// otherwise; see fastReview.
func decodeReviewJSON(body []byte, names *jsonscan.Interner) (*admissionv1.AdmissionReview, error) {
	if review, ok := fastReview(body, names); ok {
		return review, nil
	}
	review := &admissionv1.AdmissionReview{}
	return review, jsonscan.Unmarshal(body, review)
}

// EncodeReview writes the response to review: same apiVersion and kind, so the API server accepts it, and
// resp with the request's uid.
func EncodeReview(review *admissionv1.AdmissionReview, resp *admissionv1.AdmissionResponse) ([]byte, error) {
	return appendResponse(nil, review, resp)
}

// appendResponse is EncodeReview appending to b.
func appendResponse(b []byte, review *admissionv1.AdmissionReview, resp *admissionv1.AdmissionResponse) ([]byte, error) {
	out := admissionv1.AdmissionReview{TypeMeta: review.TypeMeta, Response: resp}
	if review.Request != nil {
		resp.UID = review.Request.UID
	}
	return appendReview(b, &out)
}

// errorReview is the body of an HTTP error: a review whose response carries the reason, so that a client
// reading reviews still finds a message, and whose status code matches the HTTP one.
func errorReview(code int, message string) []byte {
	st := statusFor(int32(code), message)
	out := admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: reviewV1, Kind: reviewKind},
		Response: &admissionv1.AdmissionResponse{Allowed: false, Result: &st},
	}
	b, err := json.Marshal(&out)
	if err != nil {
		// A Status of two strings and an int always marshals; this keeps the contract if it ever does not.
		return []byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":"","allowed":false}}`)
	}
	return b
}

// statusFor fills in the Status and Reason the API server and kubectl expect of a denial.
func statusFor(code int32, message string) metav1.Status {
	st := metav1.Status{Status: metav1.StatusFailure, Code: code, Message: message}
	st.Reason = reasonFor(code)
	return st
}

func reasonFor(code int32) metav1.StatusReason {
	switch code {
	case http.StatusBadRequest:
		return metav1.StatusReasonBadRequest
	case http.StatusForbidden:
		return metav1.StatusReasonForbidden
	case http.StatusNotFound:
		return metav1.StatusReasonNotFound
	case http.StatusMethodNotAllowed:
		return metav1.StatusReasonMethodNotAllowed
	case http.StatusRequestEntityTooLarge:
		return metav1.StatusReasonRequestEntityTooLarge
	case http.StatusUnsupportedMediaType:
		return metav1.StatusReasonUnsupportedMediaType
	case http.StatusUnprocessableEntity:
		return metav1.StatusReasonInvalid
	case http.StatusServiceUnavailable:
		return metav1.StatusReasonServiceUnavailable
	case http.StatusInternalServerError:
		return metav1.StatusReasonInternalError
	default:
		return metav1.StatusReasonUnknown
	}
}

// respond turns a handler's Result into the response for req; see Result for the rules. mutating says
// whether the route may patch. It returns the verdict for metrics and logs.
func respond(req *admissionv1.AdmissionRequest, r Result, mutating bool) (*admissionv1.AdmissionResponse, string) {
	resp := &admissionv1.AdmissionResponse{UID: req.UID, Warnings: r.Warnings}
	switch {
	case r.Err != nil:
		st := internalStatus(req)
		resp.Result = &st
		return resp, VerdictError
	case r.Denied != nil:
		st := *r.Denied
		if st.Code == 0 {
			st.Code = http.StatusForbidden
		}
		st.Status = metav1.StatusFailure
		if st.Reason == "" {
			st.Reason = reasonFor(st.Code)
		}
		resp.Result = &st
		return resp, VerdictDenied
	case len(r.Errors) > 0:
		gk := schema.GroupKind{Group: req.Kind.Group, Kind: req.Kind.Kind}
		st := apierrors.NewInvalid(gk, req.Name, r.Errors).ErrStatus
		resp.Result = &st
		return resp, VerdictDenied
	}
	if len(r.Patch) > 0 {
		if !mutating || !isJSONArray(r.Patch) {
			// Either is a bug in the handler; answering with it would fail on the API server with a
			// message that names neither the handler nor the request.
			st := internalStatus(req)
			resp.Result = &st
			return resp, VerdictError
		}
		pt := admissionv1.PatchTypeJSONPatch
		resp.Allowed, resp.Patch, resp.PatchType = true, r.Patch, &pt
		return resp, VerdictPatched
	}
	resp.Allowed = true
	if len(r.Warnings) > 0 {
		return resp, VerdictWarned
	}
	return resp, VerdictAllowed
}

// internalStatus says that the webhook failed, and where to look, without saying why: the why is logged.
func internalStatus(req *admissionv1.AdmissionRequest) metav1.Status {
	return statusFor(http.StatusInternalServerError, fmt.Sprintf(
		"objectstore-webhook could not decide on %s %s: internal error, logged with uid %s",
		req.Kind.Kind, objectRef(req), req.UID))
}

// isJSONArray checks a handler's patch with the validating scanner, which FuzzDecodeReview holds to
// json.Valid and which costs a fraction of it.
func isJSONArray(b []byte) bool {
	b = bytes.TrimSpace(b)
	if len(b) < 2 || b[0] != '[' || b[len(b)-1] != ']' {
		return false
	}
	end := jsonscan.SkipValue(b, 0, 0)
	return end == len(b)
}

// objectRef is namespace/name, or name for cluster-scoped objects.
func objectRef(req *admissionv1.AdmissionRequest) string {
	if req.Namespace == "" {
		return req.Name
	}
	return req.Namespace + "/" + req.Name
}
