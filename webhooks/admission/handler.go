package admission

import (
	"context"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Handler decides one admission request for the resource it is registered for.
//
// Admit is called concurrently and must not retain req or anything reachable from it after it returns.
// req is never nil and its Resource and SubResource are those the handler was registered for. ctx is
// cancelled when the API server gives up on the call or the server shuts down past its grace period;
// handlers that call the API server must pass it on.
//
// Admit must not panic on any input: the transport recovers a panic into an internal error so that one bad
// request cannot take the server down, but that is a bug, counted and logged as such.
type Handler interface {
	Admit(ctx context.Context, req *admissionv1.AdmissionRequest) Result
}

// PatchAppender is a Handler that writes its patch into a buffer the transport lends it, which saves
// allocating a patch per review. The transport calls AdmitAppend instead of Admit, with patch empty: the
// handler appends its patch to it and returns the result as Result.Patch. Whatever it returns as
// Result.Patch becomes the transport's, which reuses it for later reviews: the handler must not retain it
// (nor patch) after it returns.
type PatchAppender interface {
	Handler
	AdmitAppend(ctx context.Context, req *admissionv1.AdmissionRequest, patch []byte) Result
}

// HandlerFunc lets a plain function be a Handler.
type HandlerFunc func(ctx context.Context, req *admissionv1.AdmissionRequest) Result

// Admit calls f.
func (f HandlerFunc) Admit(ctx context.Context, req *admissionv1.AdmissionRequest) Result {
	return f(ctx, req)
}

// Result is a handler's verdict. The zero Result allows the request unchanged.
//
// The transport reads the fields in this order and the first that is set decides the verdict:
//
//  1. Err: the handler could not decide (an unexpected failure, not a fault of the object). The request is
//     denied with a 500 InternalError status whose message names the request but not Err, which goes to
//     the log only, so that nothing a handler wraps into an error (a Secret's content, an API server
//     answer) reaches the user.
//  2. Denied: a denial that is not about fields of the object, e.g. a malformed request (400) or an
//     operation the handler refuses (403). Code 0 becomes 403; Status becomes "Failure".
//  3. Errors: per-field problems with the object. They come back as the Status that
//     apierrors.NewInvalid(group-kind of the request, name, Errors) builds, i.e. 422 Invalid with one cause
//     per field, which kubectl and GitOps tools print field by field.
//  4. Otherwise the request is allowed, with Patch applied if it is set.
//
// Warnings are returned with every verdict, denials included, so that a user fixing one error sees the
// rest. Keep each under 120 characters and without a "Warning:" prefix; kubectl adds its own.
type Result struct {
	// Errors are the per-field reasons to deny the request.
	Errors field.ErrorList
	// Warnings are shown to the client whatever the verdict.
	Warnings []string
	// Patch is an RFC 6902 JSON Patch (a JSON array of operations) to apply to the object. It is only
	// valid on routes of type Mutating and on an allowed request; on a validating route it is a bug and
	// turns into an internal error. Empty means no change.
	Patch []byte
	// Denied is a denial with a status of the handler's choosing.
	Denied *metav1.Status
	// Err is an internal failure; see the ordering above.
	Err error
}

// Allowed reports whether r lets the request through.
func (r Result) Allowed() bool {
	return r.Err == nil && r.Denied == nil && len(r.Errors) == 0
}

// Deny returns a Result denying the request with code (403 when 0) and a message for the user.
func Deny(code int32, message string) Result {
	return Result{Denied: &metav1.Status{Code: code, Message: message}}
}
