package admission_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/objectstore-webhook/objectstore-webhook/webhooks/admission"
)

// FuzzEncodeReview holds the response encoder to json.Marshal, byte for byte.
func FuzzEncodeReview(f *testing.F) {
	f.Add("admission.k8s.io/v1", "AdmissionReview", "3f1e", true, []byte(`[{"op":"add"}]`), true, "spec.x: y\nz", uint8(0))
	f.Add("", "", "", false, []byte{}, false, "", uint8(1))
	f.Add("a<b>&c", "\u2028\xff", "\x00\"\\", true, []byte{0, 1, 2}, false, "é", uint8(2))
	f.Add("v1", "k", "u", false, []byte(nil), true, "<script>", uint8(3))
	f.Fuzz(func(t *testing.T, apiVersion, kind, uid string, allowed bool, patch []byte, typed bool, warning string, shape uint8) {
		resp := &admissionv1.AdmissionResponse{UID: types.UID(uid), Allowed: allowed, Patch: patch}
		if typed {
			pt := admissionv1.PatchTypeJSONPatch
			resp.PatchType = &pt
		}
		switch shape % 5 {
		case 1:
			resp.Warnings = []string{warning}
		case 2:
			resp.Warnings = strings.Split(warning, "\n")
		case 3:
			resp.Warnings = []string{}
		case 4:
			resp.Result = &metav1.Status{Message: warning, Code: 422}
		}
		out := &admissionv1.AdmissionReview{TypeMeta: metav1.TypeMeta{APIVersion: apiVersion, Kind: kind}, Response: resp}
		got, err := admission.MarshalReview(out)
		if err != nil {
			t.Fatal(err)
		}
		want, err := json.Marshal(out)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("encoder differs from json.Marshal:\ngot  %s\nwant %s", got, want)
		}
	})
}
