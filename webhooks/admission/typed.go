package admission

import (
	"context"
	"fmt"
	"net/http"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"

	v1 "github.com/objectstore-webhook/objectstore-webhook/schema/barmancloud/v1"
)

// ValidateFunc adapts a pure validation function over a typed object to a Handler, so that a rule package
// stays free of the transport. fn gets old == nil on CREATE and both objects on UPDATE; it must not modify
// them. DELETE and CONNECT are allowed without calling fn: the rules judge what an object becomes, and a
// webhook that can refuse a deletion can make an object impossible to remove.
//
// kind is what fn validates. A review of another kind (request.kind, or the object's own apiVersion and
// kind) is denied with 400, naming both: any object decodes as T with its unknown fields dropped, and the
// rules would then judge an empty T and name fields the object never had. An object that does not decode
// as T is denied with 400 and the decoder's reason: the API server only sends what passed its own schema,
// so this is a misrouted review, not a user error to explain in detail.
func ValidateFunc[T any](kind schema.GroupVersionKind, fn func(ctx context.Context, old, obj *T) (field.ErrorList, []string)) Handler {
	return HandlerFunc(func(ctx context.Context, req *admissionv1.AdmissionRequest) Result {
		if req.Operation != admissionv1.Create && req.Operation != admissionv1.Update {
			return Result{}
		}
		if got := schema.GroupVersionKind(req.Kind); got.Kind != "" && got != kind {
			return wrongKind(kind, got)
		}
		obj := new(T)
		if err := decodeNew(req.Object.Raw, obj); err != nil {
			var tm metav1.TypeMeta
			if unmarshal(req.Object.Raw, &tm) == nil && tm.Kind != "" && tm.GroupVersionKind() != kind {
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
			if err := decodeNew(req.OldObject.Raw, old); err != nil {
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

// decodeNew is DecodeObject into a zero value, which lets an ObjectStore take the fast path.
func decodeNew(raw []byte, into any) error {
	if o, ok := into.(*v1.ObjectStore); ok {
		if fastObjectStore(raw, o) {
			return nil
		}
		*o = v1.ObjectStore{} // the fast path may have written part of it
	}
	return DecodeObject(raw, into)
}

// DecodeObject decodes an object of a review into into, matching keys case-sensitively as the API server
// does. Unknown fields are ignored: the API server has already pruned or accepted them. metadata.managedFields
// is left out: no admission decision depends on it, and it is often a third of an object. An empty raw is
// an error, since every CREATE and UPDATE carries its object.
func DecodeObject(raw []byte, into any) error {
	if len(raw) == 0 {
		return fmt.Errorf("the object is missing")
	}
	if err := unmarshal(withoutManagedFields(raw), into); err != nil {
		return fmt.Errorf("%s", jsonErrorText(err))
	}
	return nil
}
