package admission_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/objectstore-webhook/objectstore-webhook/webhooks/admission"
)

// TestValidateFuncWithThePlainCodec: the typed adapter over a kind without a fast decoder decodes the
// object (and on UPDATE the old one), passes field errors through, allows DELETE without asking the rules,
// and refuses a review of another kind naming both.
func TestValidateFuncWithThePlainCodec(t *testing.T) {
	kind := schema.GroupVersionKind{Group: "test.objectstore-webhook.io", Version: "v1", Kind: "Thing"}
	var calls int
	h := admission.ValidateFunc[metav1.PartialObjectMetadata](admission.Plain[metav1.PartialObjectMetadata]{GVK: kind},
		func(_ context.Context, old, obj *metav1.PartialObjectMetadata) (field.ErrorList, []string) {
			calls++
			if obj.Name != "t" || (old != nil && old.Labels["v"] != "1") {
				return field.ErrorList{field.Invalid(field.NewPath("metadata", "name"), obj.Name, "decoded wrong")}, nil
			}
			if old != nil {
				return nil, []string{"updated"}
			}
			return nil, nil
		})
	object := func(k string, labels string) []byte {
		return []byte(`{"apiVersion":"test.objectstore-webhook.io/v1","kind":"` + k + `","metadata":{"name":"t","labels":{"v":"` + labels + `"},"managedFields":[{"manager":"m"}]}}`)
	}
	req := func(op admissionv1.Operation, obj, old []byte) *admissionv1.AdmissionRequest {
		r := &admissionv1.AdmissionRequest{Operation: op, Kind: metav1.GroupVersionKind(kind)}
		r.Object.Raw, r.OldObject.Raw = obj, old
		return r
	}
	if res := h.Admit(context.Background(), req(admissionv1.Create, object("Thing", "1"), nil)); !res.Allowed() || len(res.Warnings) != 0 {
		t.Errorf("CREATE: %+v", res)
	}
	if res := h.Admit(context.Background(), req(admissionv1.Update, object("Thing", "2"), object("Thing", "1"))); !res.Allowed() || len(res.Warnings) != 1 {
		t.Errorf("UPDATE did not see the old object: %+v", res)
	}
	before := calls
	if res := h.Admit(context.Background(), req(admissionv1.Delete, nil, object("Thing", "1"))); !res.Allowed() || calls != before {
		t.Errorf("DELETE: %+v, rules called %d times", res, calls-before)
	}
	res := h.Admit(context.Background(), req(admissionv1.Create, object("Gadget", "1"), nil))
	if res.Denied == nil || res.Denied.Code != http.StatusBadRequest || !strings.Contains(res.Denied.Message, "got test.objectstore-webhook.io/v1 Gadget") {
		t.Errorf("another kind: %+v", res)
	}
	res = h.Admit(context.Background(), req(admissionv1.Create, []byte(`{"metadata":"not an object"}`), nil))
	if res.Denied == nil || res.Denied.Code != http.StatusBadRequest || !strings.Contains(res.Denied.Message, "not a valid Thing") {
		t.Errorf("undecodable object: %+v", res)
	}
}
