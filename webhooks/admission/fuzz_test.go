package admission_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/objectstore-webhook/objectstore-webhook/internal/jsonscan"
	"github.com/objectstore-webhook/objectstore-webhook/webhooks/admission"
)

// scanValid reports whether the scanner takes body as one JSON value.
func scanValid(body []byte) bool {
	end := jsonscan.SkipValue(body, 0, 0)
	return end >= 0 && jsonscan.SkipSpace(body, end) == len(body)
}

// FuzzDecodeReview: whatever the bytes, DecodeReview returns a review with a request and a uid or a
// *ReviewError, and the mux answers with a review carrying a status, never a panic or a non-review body.
func FuzzDecodeReview(f *testing.F) {
	f.Add(reviewJSON(f, storesGVR, "ObjectStore", nil))
	f.Add(reviewJSON(f, podsGVR, "Pod", nil))
	f.Add([]byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}`))
	f.Add([]byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","resource":{"version":"v1","resource":"pods"}}}`))
	f.Add([]byte(`{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","request":{"uid":"u","resource":{"group":"barmancloud.cnpg.io","version":"v1","resource":"objectstores"},"operation":"UPDATE","object":{"spec":1},"oldObject":null}}`))
	f.Add([]byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"a\u0062","obj\u0065ct":{"a":1},"object":null,"userInfo":{"username":"x","groups":[],"extra":{"k":["v"]}},"dryRun":true,"options":{"kind":"CreateOptions"},"requestKind":{"group":"","version":"v1","kind":"Pod"},"requestResource":{"group":"","version":"v1","resource":"pods"}}}`))
	f.Add([]byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"a","kind":{"kind":"A"},"kind":{"group":"g"}},"request":{"uid":"b"}}`))
	f.Add([]byte(`{"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1","request":{"uid":"\xff\u00e9","name":"caf\u00e9","resource":{"version":"v1","resource":"objectstores","group":"barmancloud.cnpg.io"},"operation":"UPDATE","object":{"metadata":{"managedFields":[{"manager":"m"}],"name":"x"},"spec":{}},"oldObject":{"metadata":{"managedFields":null}}},"response":{"uid":"r"}}`))
	f.Add([]byte(`{"apiVersion":`))
	f.Add([]byte(`null`))
	f.Add([]byte(`[1.5e+3,-0,"\ud83d\ude00",true,false,null,{"a":[{}]}]`))
	f.Add([]byte(`[01, 1., .5, 1e, "\x", "` + "\t" + `"]`))
	f.Add([]byte(``))
	mux := newMux(f, nil, fixed(admission.Result{}), fixed(admission.Result{}))
	f.Fuzz(func(t *testing.T, body []byte) {
		if scanValid(body) != json.Valid(body) {
			t.Fatalf("the scanner says valid=%v, encoding/json says %v", scanValid(body), json.Valid(body))
		}
		// The fast path, when it takes a review, decodes exactly what the plain decoder does.
		if fast, ok := admission.FastReview(body); ok {
			plain := &admissionv1.AdmissionReview{}
			if err := jsonscan.Unmarshal(body, plain); err != nil {
				t.Fatalf("fast path accepted what the plain decoder refuses (%v)", err)
			}
			if !equality.Semantic.DeepEqual(fast, plain) {
				t.Fatalf("fast and plain decodes differ:\nfast  %+v\nplain %+v", fast.Request, plain.Request)
			}
		}
		// Dropping managedFields changes nothing else of an object.
		var whole metav1.PartialObjectMetadata
		if jsonscan.Unmarshal(body, &whole) == nil {
			var stripped metav1.PartialObjectMetadata
			if err := jsonscan.DecodeObject(body, &stripped); err != nil {
				t.Fatalf("DecodeObject refused what the plain decoder takes: %v", err)
			}
			whole.ManagedFields = nil
			if !equality.Semantic.DeepEqual(&whole, &stripped) {
				t.Fatalf("DecodeObject changed more than managedFields:\n%+v\n%+v", whole, stripped)
			}
		}

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
