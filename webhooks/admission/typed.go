package admission

import (
	"context"
	"fmt"
	"net/http"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/objectstore-webhook/objectstore-webhook/internal/jsonscan"
)

// Codec is what a webhook package brings to the transport for the kind it admits: the kind, and a decoder
// of it, fast or plain. Decode gets a zero *T and the object's raw JSON; its error is shown to the client.
type Codec[T any] interface {
	Kind() schema.GroupVersionKind
	Decode(raw []byte, into *T) error
}

// Plain is the Codec of a kind without a decoder of its own: jsonscan.DecodeObject.
type Plain[T any] struct{ GVK schema.GroupVersionKind }

// Kind implements Codec.
func (p Plain[T]) Kind() schema.GroupVersionKind { return p.GVK }

// Decode implements Codec.
func (Plain[T]) Decode(raw []byte, into *T) error { return jsonscan.DecodeObject(raw, into) }

// ValidateFunc adapts a pure validation function over a typed object to a Handler, so that a rule package
// stays free of the transport. fn gets old == nil on CREATE and both objects on UPDATE; it must not modify
// them. DELETE and CONNECT are allowed without calling fn: the rules judge what an object becomes, and a
// webhook that can refuse a deletion can make an object impossible to remove.
//
// codec says what fn validates. A review of another kind (request.kind, or the object's own apiVersion
// and kind) is denied with 400, naming both: any object decodes as T with its unknown fields dropped, and
// the rules would then judge an empty T and name fields the object never had. An object that does not
// decode as T is denied with 400 and the decoder's reason: the API server only sends what passed its own
// schema, so this is a misrouted review, not a user error to explain in detail.
func ValidateFunc[T any](codec Codec[T], fn func(ctx context.Context, old, obj *T) (field.ErrorList, []string)) Handler {
	kind := codec.Kind()
	return HandlerFunc(func(ctx context.Context, req *admissionv1.AdmissionRequest) Result {
		if req.Operation != admissionv1.Create && req.Operation != admissionv1.Update {
			return Result{}
		}
		if got := schema.GroupVersionKind(req.Kind); got.Kind != "" && got != kind {
			return wrongKind(kind, got)
		}
		obj := new(T)
		if err := codec.Decode(req.Object.Raw, obj); err != nil {
			var tm metav1.TypeMeta
			if jsonscan.Unmarshal(req.Object.Raw, &tm) == nil && tm.Kind != "" && tm.GroupVersionKind() != kind {
				return wrongKind(kind, tm.GroupVersionKind())
			}
			return Deny(http.StatusBadRequest, fmt.Sprintf("request.object is not a valid %s: %v", kind.Kind, err))
		}
		if o, ok := any(obj).(schema.ObjectKind); ok {
			if got := o.GroupVersionKind(); got.Kind != "" && got != kind {
				return wrongKind(kind, got)
			}
		}
		var old *T
		if req.Operation == admissionv1.Update {
			old = new(T)
			if err := codec.Decode(req.OldObject.Raw, old); err != nil {
				return Deny(http.StatusBadRequest, fmt.Sprintf("request.oldObject is not a valid %s: %v", kind.Kind, err))
			}
		}
		errs, warnings := fn(ctx, old, obj)
		return Result{Errors: errs, Warnings: warnings}
	})
}

// wrongKind names what the route validates and what it got, as apiVersion and kind.
func wrongKind(want, got schema.GroupVersionKind) Result {
	return Deny(http.StatusBadRequest, fmt.Sprintf("this webhook validates %s %s; got %s %s",
		want.GroupVersion(), want.Kind, got.GroupVersion(), got.Kind))
}
