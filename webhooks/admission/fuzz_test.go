package admission_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"

	"github.com/objectstore-webhook/objectstore-webhook/webhooks/admission"
)

var jsonUnmarshal = json.Unmarshal

// FuzzDecodeReview: whatever the bytes, DecodeReview returns a review with a request and a uid or a
// *ReviewError, and the mux answers with a review carrying a status, never a panic or a non-review body.
func FuzzDecodeReview(f *testing.F) {
	f.Add([]byte(storeReview))
	f.Add(reviewJSON(f, storesGVR, "ObjectStore", nil))
	f.Add(reviewJSON(f, podsGVR, "Pod", nil))
	f.Add([]byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}`))
	f.Add([]byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","resource":{"version":"v1","resource":"pods"}}}`))
	f.Add([]byte(`{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","request":{"uid":"u","resource":{"group":"barmancloud.cnpg.io","version":"v1","resource":"objectstores"},"operation":"UPDATE","object":{"spec":1},"oldObject":null}}`))
	f.Add([]byte(`{"apiVersion":`))
	f.Add([]byte(`null`))
	f.Add([]byte(``))
	mux := storeMux(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		review, err := admission.DecodeReview(body)
		if err != nil {
			var re *admission.ReviewError
			if !errors.As(err, &re) || re.Code < 400 || re.Code > 499 || re.Message == "" {
				t.Fatalf("error %v is not a 4xx ReviewError", err)
			}
		} else if review.Request == nil || review.Request.UID == "" {
			t.Fatalf("decoded a review without request or uid")
		}

		req := httptest.NewRequest(http.MethodPost, "/validate/objectstores", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		var out admissionv1.AdmissionReview
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || out.Response == nil {
			t.Fatalf("HTTP %d answer is not a review: %v %q", rec.Code, err, rec.Body.String())
		}
		if !out.Response.Allowed && out.Response.Result == nil {
			t.Fatalf("denial without a status: %s", rec.Body.String())
		}
		if (err == nil) != (rec.Code == http.StatusOK) {
			t.Fatalf("decode error %v but HTTP %d", err, rec.Code)
		}
		if err == nil && out.Response.UID != review.Request.UID {
			t.Fatalf("uid %q not echoed (got %q)", review.Request.UID, out.Response.UID)
		}
	})
}
