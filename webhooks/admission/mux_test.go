package admission_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/objectstore-webhook/objectstore-webhook/webhooks/admission"
)

var (
	storesGVR = schema.GroupVersionResource{Group: "barmancloud.cnpg.io", Version: "v1", Resource: "objectstores"}
	podsGVR   = schema.GroupVersionResource{Version: "v1", Resource: "pods"}
)

// reviewJSON builds a review as the API server sends it; edit lets a case break it.
func reviewJSON(t testing.TB, gvr schema.GroupVersionResource, kind string, edit func(map[string]any)) []byte {
	t.Helper()
	review := map[string]any{
		"apiVersion": "admission.k8s.io/v1",
		"kind":       "AdmissionReview",
		"request": map[string]any{
			"uid":       "0b4c4b7e-7d3a-4e0f-9d2f-5b0d7f1c2a11",
			"kind":      map[string]any{"group": gvr.Group, "version": gvr.Version, "kind": kind},
			"resource":  map[string]any{"group": gvr.Group, "version": gvr.Version, "resource": gvr.Resource},
			"name":      "backups",
			"namespace": "db",
			"operation": "CREATE",
			"userInfo":  map[string]any{"username": "alice"},
			"object":    map[string]any{"apiVersion": gvr.GroupVersion().String(), "kind": kind, "metadata": map[string]any{"name": "backups", "namespace": "db"}},
		},
	}
	if edit != nil {
		edit(review)
	}
	b, err := json.Marshal(review)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func request(m map[string]any) map[string]any { return m["request"].(map[string]any) }

type answer struct {
	code   int
	review admissionv1.AdmissionReview
	raw    string
}

func post(t testing.TB, h http.Handler, path, contentType string, body []byte) answer {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	a := answer{code: rec.Code, raw: rec.Body.String()}
	if err := json.Unmarshal(rec.Body.Bytes(), &a.review); err != nil {
		t.Fatalf("response is not a review: %v\n%s", err, rec.Body.String())
	}
	if a.review.Response == nil {
		t.Fatalf("review without response: %s", rec.Body.String())
	}
	return a
}

// fixed answers every review with the same Result.
func fixed(r admission.Result) admission.Handler {
	return admission.HandlerFunc(func(context.Context, *admissionv1.AdmissionRequest) admission.Result { return r })
}

func newMux(t testing.TB, reg prometheus.Registerer, stores, pods admission.Handler) *admission.Mux {
	t.Helper()
	var metrics *admission.Metrics
	if reg != nil {
		var err error
		if metrics, err = admission.NewMetrics(reg); err != nil {
			t.Fatal(err)
		}
	}
	m, err := admission.NewMux(admission.Options{MaxRequestBytes: 64 << 10, Metrics: metrics},
		admission.Route{Path: "/validate/objectstores", Type: admission.Validating, Resource: storesGVR, Handler: stores},
		admission.Route{Path: "/mutate/pods", Type: admission.Mutating, Resource: podsGVR, Handler: pods},
		admission.Route{Path: "/mutate/pods", Type: admission.Mutating, Resource: podsGVR, SubResource: "ephemeralcontainers"},
	)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

const secretText = "hunter2-in-an-error"

func TestVerdicts(t *testing.T) {
	errs := field.ErrorList{
		field.Required(field.NewPath("spec", "configuration", "destinationPath"), "where backups go"),
		field.Invalid(field.NewPath("spec", "retentionPolicy"), "30x", "must look like 30d"),
	}
	for name, tc := range map[string]struct {
		path, kind string
		gvr        schema.GroupVersionResource
		result     admission.Result
		edit       func(map[string]any)
		check      func(t *testing.T, a answer)
	}{
		"allowed, v1 echoed": {
			result: admission.Result{},
			check: func(t *testing.T, a answer) {
				if !a.review.Response.Allowed || a.review.Response.Result != nil || a.review.Response.Patch != nil {
					t.Errorf("want a plain allow, got %s", a.raw)
				}
			},
		},
		"allowed, v1beta1 echoed": {
			edit: func(m map[string]any) { m["apiVersion"] = "admission.k8s.io/v1beta1" },
			check: func(t *testing.T, a answer) {
				if a.review.APIVersion != "admission.k8s.io/v1beta1" || !a.review.Response.Allowed {
					t.Errorf("want v1beta1 allow, got %s", a.raw)
				}
			},
		},
		"field errors become Invalid with a cause per field": {
			result: admission.Result{Errors: errs, Warnings: []string{"spec.configuration.wal: no compression"}},
			check: func(t *testing.T, a answer) {
				r := a.review.Response
				st := r.Result
				if r.Allowed || st == nil || st.Code != 422 || st.Reason != metav1.StatusReasonInvalid || st.Status != metav1.StatusFailure {
					t.Fatalf("want a 422 Invalid denial, got %s", a.raw)
				}
				if st.Details == nil || st.Details.Group != "barmancloud.cnpg.io" || st.Details.Kind != "ObjectStore" || st.Details.Name != "backups" {
					t.Fatalf("details do not name the object: %+v", st.Details)
				}
				want := []string{"spec.configuration.destinationPath", "spec.retentionPolicy"}
				if len(st.Details.Causes) != 2 || st.Details.Causes[0].Field != want[0] || st.Details.Causes[1].Field != want[1] ||
					st.Details.Causes[0].Type != metav1.CauseTypeFieldValueRequired {
					t.Errorf("causes = %+v, want one per field %v", st.Details.Causes, want)
				}
				if !strings.HasPrefix(st.Message, `ObjectStore.barmancloud.cnpg.io "backups" is invalid: [`) {
					t.Errorf("message = %q", st.Message)
				}
				if len(r.Warnings) != 1 {
					t.Errorf("warnings dropped from a denial: %v", r.Warnings)
				}
			},
		},
		"warnings on an allow": {
			result: admission.Result{Warnings: []string{"a", "b"}},
			check: func(t *testing.T, a answer) {
				if !a.review.Response.Allowed || len(a.review.Response.Warnings) != 2 {
					t.Errorf("want allow with 2 warnings, got %s", a.raw)
				}
			},
		},
		"other denial keeps its code and gains a reason": {
			result: admission.Deny(409, "the store is in use"),
			check: func(t *testing.T, a answer) {
				st := a.review.Response.Result
				if a.review.Response.Allowed || st.Code != 409 || st.Message != "the store is in use" || st.Status != metav1.StatusFailure {
					t.Errorf("got %s", a.raw)
				}
			},
		},
		"denial without code is 403 Forbidden": {
			result: admission.Result{Denied: &metav1.Status{Message: "no"}},
			check: func(t *testing.T, a answer) {
				if st := a.review.Response.Result; st.Code != 403 || st.Reason != metav1.StatusReasonForbidden {
					t.Errorf("got %s", a.raw)
				}
			},
		},
		"internal error is a 500 that does not repeat the error": {
			result: admission.Result{Err: errors.New(secretText), Errors: errs},
			check: func(t *testing.T, a answer) {
				st := a.review.Response.Result
				if a.review.Response.Allowed || st.Code != 500 || st.Reason != metav1.StatusReasonInternalError {
					t.Errorf("got %s", a.raw)
				}
				if strings.Contains(a.raw, secretText) || !strings.Contains(st.Message, "0b4c4b7e-7d3a-4e0f-9d2f-5b0d7f1c2a11") {
					t.Errorf("message should name the uid and not the error: %q", st.Message)
				}
			},
		},
		"patch on a mutating route is a JSONPatch": {
			path: "/mutate/pods", gvr: podsGVR, kind: "Pod",
			result: admission.Result{Patch: []byte(`[{"op":"add","path":"/metadata/labels","value":{"a":"b"}}]`)},
			check: func(t *testing.T, a answer) {
				r := a.review.Response
				if !r.Allowed || r.PatchType == nil || *r.PatchType != admissionv1.PatchTypeJSONPatch || !strings.Contains(string(r.Patch), `"/metadata/labels"`) {
					t.Errorf("got %s", a.raw)
				}
			},
		},
		"patch on a validating route is refused": {
			result: admission.Result{Patch: []byte(`[]`)},
			check: func(t *testing.T, a answer) {
				if r := a.review.Response; r.Allowed || r.Patch != nil || r.Result.Code != 500 {
					t.Errorf("got %s", a.raw)
				}
			},
		},
		"patch that is not a JSON array is refused": {
			path: "/mutate/pods", gvr: podsGVR, kind: "Pod",
			result: admission.Result{Patch: []byte(`{"op":"add"}`)},
			check: func(t *testing.T, a answer) {
				if r := a.review.Response; r.Allowed || r.Patch != nil || r.Result.Code != 500 {
					t.Errorf("got %s", a.raw)
				}
			},
		},
		"resource the path does not serve": {
			gvr: schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}, kind: "Deployment",
			check: func(t *testing.T, a answer) {
				st := a.review.Response.Result
				if a.review.Response.Allowed || st.Code != 400 || !strings.Contains(st.Message, "barmancloud.cnpg.io/v1/objectstores, not apps/v1/deployments") {
					t.Errorf("got %s", a.raw)
				}
			},
		},
		"resource declared without a handler": {
			path: "/mutate/pods", gvr: podsGVR, kind: "Pod",
			edit: func(m map[string]any) { request(m)["subResource"] = "ephemeralcontainers" },
			check: func(t *testing.T, a answer) {
				st := a.review.Response.Result
				if a.review.Response.Allowed || st.Code != 501 || !strings.Contains(st.Message, "no handler for v1/pods/ephemeralcontainers") {
					t.Errorf("got %s", a.raw)
				}
			},
		},
	} {
		t.Run(name, func(t *testing.T) {
			path, gvr, kind := tc.path, tc.gvr, tc.kind
			if path == "" {
				path = "/validate/objectstores"
			}
			if kind == "" {
				gvr, kind = storesGVR, "ObjectStore"
			}
			mux := newMux(t, nil, fixed(tc.result), fixed(tc.result))
			a := post(t, mux, path, "application/json", reviewJSON(t, gvr, kind, tc.edit))
			if a.code != http.StatusOK {
				t.Fatalf("HTTP %d for a readable review, want 200: %s", a.code, a.raw)
			}
			if a.review.Response.UID != "0b4c4b7e-7d3a-4e0f-9d2f-5b0d7f1c2a11" {
				t.Errorf("uid not echoed: %q", a.review.Response.UID)
			}
			if a.review.Kind != "AdmissionReview" || !strings.HasPrefix(a.review.APIVersion, "admission.k8s.io/") {
				t.Errorf("apiVersion/kind not echoed: %q %q", a.review.APIVersion, a.review.Kind)
			}
			tc.check(t, a)
		})
	}
}

func TestPanickingHandlerIsAnInternalError(t *testing.T) {
	mux := newMux(t, nil, admission.HandlerFunc(func(context.Context, *admissionv1.AdmissionRequest) admission.Result {
		panic(secretText)
	}), nil)
	a := post(t, mux, "/validate/objectstores", "application/json", reviewJSON(t, storesGVR, "ObjectStore", nil))
	if a.code != 200 || a.review.Response.Allowed || a.review.Response.Result.Code != 500 || strings.Contains(a.raw, secretText) {
		t.Errorf("got HTTP %d %s", a.code, a.raw)
	}
}

func TestMalformedRequests(t *testing.T) {
	good := func() []byte { return reviewJSON(t, storesGVR, "ObjectStore", nil) }
	edited := func(edit func(map[string]any)) []byte { return reviewJSON(t, storesGVR, "ObjectStore", edit) }
	for name, tc := range map[string]struct {
		method, path, contentType string
		body                      []byte
		code                      int
		says                      string
	}{
		"GET":                  {method: http.MethodGet, body: good(), code: 405, says: "method GET not allowed"},
		"text/plain":           {contentType: "text/plain", body: good(), code: 415, says: `content type "text/plain" not supported`},
		"no content type":      {contentType: "-", body: good(), code: 415, says: "content type"},
		"too large":            {body: bytes.Repeat([]byte(" "), 64<<10+1), code: 413, says: "larger than the 65536-byte limit"},
		"empty body":           {body: nil, code: 400, says: "empty body"},
		"not JSON":             {body: []byte(`{"apiVersion":`), code: 400, says: "invalid JSON at byte"},
		"JSON of another kind": {body: []byte(`{"apiVersion":"v1","kind":"Pod"}`), code: 400, says: `got apiVersion "v1" and kind "Pod"`},
		"wrong field type":     {body: edited(func(m map[string]any) { request(m)["uid"] = 42 }), code: 400, says: "cannot unmarshal number"},
		"no request":           {body: edited(func(m map[string]any) { delete(m, "request") }), code: 400, says: "has no request"},
		"no uid":               {body: edited(func(m map[string]any) { delete(request(m), "uid") }), code: 400, says: "has no uid"},
		"uid spelled UID":      {body: bytes.Replace(good(), []byte(`"uid"`), []byte(`"UID"`), 1), code: 400, says: "has no uid"},
		"no resource":          {body: edited(func(m map[string]any) { delete(request(m), "resource") }), code: 400, says: "names no resource"},
		"unknown path":         {path: "/validate/secrets", body: good(), code: 404, says: "no admission webhook at /validate/secrets"},
	} {
		t.Run(name, func(t *testing.T) {
			method, path, ct := tc.method, tc.path, tc.contentType
			if method == "" {
				method = http.MethodPost
			}
			if path == "" {
				path = "/validate/objectstores"
			}
			if ct == "" {
				ct = "application/json; charset=utf-8"
			}
			req := httptest.NewRequest(method, path, bytes.NewReader(tc.body))
			if ct != "-" {
				req.Header.Set("Content-Type", ct)
			}
			rec := httptest.NewRecorder()
			newMux(t, nil, fixed(admission.Result{}), nil).ServeHTTP(rec, req)
			if rec.Code != tc.code {
				t.Errorf("HTTP %d, want %d: %s", rec.Code, tc.code, rec.Body.String())
			}
			var review admissionv1.AdmissionReview
			if err := json.Unmarshal(rec.Body.Bytes(), &review); err != nil || review.Response == nil || review.Response.Result == nil {
				t.Fatalf("the error is not a review with a status: %v %s", err, rec.Body.String())
			}
			if st := review.Response.Result; review.Response.Allowed || int(st.Code) != tc.code || !strings.Contains(st.Message, tc.says) {
				t.Errorf("status %d %q, want %d saying %q", st.Code, st.Message, tc.code, tc.says)
			}
		})
	}
}

// A body without Content-Length (chunked) is cut at the limit while it is read.
func TestBodyLimitWithoutContentLength(t *testing.T) {
	body := append(reviewJSON(t, storesGVR, "ObjectStore", nil), bytes.Repeat([]byte(" "), 64<<10)...)
	req := httptest.NewRequest(http.MethodPost, "/validate/objectstores", struct{ *bytes.Reader }{bytes.NewReader(body)})
	req.ContentLength = -1
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	newMux(t, nil, fixed(admission.Result{}), nil).ServeHTTP(rec, req)
	if rec.Code != 413 {
		t.Errorf("HTTP %d, want 413", rec.Code)
	}
}

func TestConflictingRoutesAreRefused(t *testing.T) {
	h := fixed(admission.Result{})
	for name, routes := range map[string][]admission.Route{
		"same resource twice": {
			{Path: "/validate/objectstores", Resource: storesGVR, Handler: h},
			{Path: "/validate/objectstores", Resource: storesGVR, Handler: h},
		},
		"validating and mutating": {
			{Path: "/x", Type: admission.Validating, Resource: storesGVR, Handler: h},
			{Path: "/x", Type: admission.Mutating, Resource: podsGVR, Handler: h},
		},
		"relative path": {{Path: "x", Resource: storesGVR}},
		"no resource":   {{Path: "/x"}},
	} {
		if _, err := admission.NewMux(admission.Options{}, routes...); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestMetricsCountEachVerdict(t *testing.T) {
	reg := prometheus.NewRegistry()
	verdict := admission.Result{}
	mux := newMux(t, reg, admission.HandlerFunc(func(context.Context, *admissionv1.AdmissionRequest) admission.Result { return verdict }), nil)
	send := func() {
		post(t, mux, "/validate/objectstores", "application/json", reviewJSON(t, storesGVR, "ObjectStore", nil))
	}
	send()
	verdict = admission.Result{Warnings: []string{"w"}}
	send()
	verdict = admission.Result{Errors: field.ErrorList{field.Required(field.NewPath("spec"), "")}}
	send()
	send()
	post(t, mux, "/validate/objectstores", "application/json", []byte("{"))

	const metadata = `
# HELP objectstore_webhook_admission_requests_total Admission reviews answered, by webhook path, resource, operation and verdict.
# TYPE objectstore_webhook_admission_requests_total counter
`
	want := metadata + `
objectstore_webhook_admission_requests_total{operation="",resource="",verdict="malformed",webhook="/validate/objectstores"} 1
objectstore_webhook_admission_requests_total{operation="CREATE",resource="objectstores",verdict="allowed",webhook="/validate/objectstores"} 1
objectstore_webhook_admission_requests_total{operation="CREATE",resource="objectstores",verdict="denied",webhook="/validate/objectstores"} 2
objectstore_webhook_admission_requests_total{operation="CREATE",resource="objectstores",verdict="warned",webhook="/validate/objectstores"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "objectstore_webhook_admission_requests_total"); err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(reg, "objectstore_webhook_admission_duration_seconds"); n != 1 {
		t.Errorf("latency histogram has %d series, want 1", n)
	}
	mfs, _ := reg.Gather()
	for _, mf := range mfs {
		if mf.GetName() == "objectstore_webhook_admission_duration_seconds" {
			h := mf.GetMetric()[0].GetHistogram()
			if first := h.GetBucket()[0].GetUpperBound(); first >= 100e-6 {
				t.Errorf("first latency bucket %v s, want below 100 µs", first)
			}
			if h.GetSampleCount() != 5 {
				t.Errorf("latency count %d, want 5", h.GetSampleCount())
			}
		}
		if mf.GetName() == "objectstore_webhook_admission_request_bytes" && mf.GetMetric()[0].GetHistogram().GetSampleCount() != 5 {
			t.Errorf("size count %d, want 5", mf.GetMetric()[0].GetHistogram().GetSampleCount())
		}
	}
}

// appender writes its patch into the buffer the transport lends it, and records the buffers it got.
type appender struct{ lent [][]byte }

func (a *appender) Admit(context.Context, *admissionv1.AdmissionRequest) admission.Result {
	return admission.Result{Err: errors.New("Admit called on a PatchAppender")}
}

func (a *appender) AdmitAppend(_ context.Context, _ *admissionv1.AdmissionRequest, patch []byte) admission.Result {
	a.lent = append(a.lent, patch)
	return admission.Result{Patch: append(patch, `[{"op":"add","path":"/metadata/labels","value":{"a":"b"}}]`...)}
}

// TestPatchAppender checks that a PatchAppender answers through AdmitAppend, into a buffer that is empty
// when lent and is lent again (with the capacity of the earlier patch) once the answer is written.
func TestPatchAppender(t *testing.T) {
	h := &appender{}
	mux, err := admission.NewMux(admission.Options{}, admission.Route{Path: "/mutate", Type: admission.Mutating,
		Resource: podsGVR, Handler: h})
	if err != nil {
		t.Fatal(err)
	}
	body := reviewJSON(t, podsGVR, "Pod", nil)
	reused := false
	for range 20 {
		a := post(t, mux, "/mutate", "application/json", body)
		if !a.review.Response.Allowed || string(a.review.Response.Patch) != `[{"op":"add","path":"/metadata/labels","value":{"a":"b"}}]` {
			t.Fatalf("answer %s", a.raw)
		}
		lent := h.lent[len(h.lent)-1]
		if len(lent) != 0 {
			t.Fatalf("lent a buffer holding %q", lent)
		}
		reused = reused || cap(lent) > 0
	}
	if !reused {
		t.Error("the patch buffer was never lent again")
	}
}

// TestReviewsOutliveTheServersShutdownSignal: a review in flight when the server's lifetime ends (how
// controller-runtime's webhook server begins its shutdown) goes on until Abort ends; before that, a
// review still ends when its client goes away.
func TestReviewsOutliveTheServersShutdownSignal(t *testing.T) {
	for _, end := range []string{"abort", "client"} {
		t.Run(end, func(t *testing.T) {
			life, stopServing := context.WithCancel(context.Background())
			defer stopServing()
			abort, abortReviews := context.WithCancel(context.Background())
			defer abortReviews()
			entered, verdict := make(chan context.Context, 1), make(chan error, 1)
			h := admission.HandlerFunc(func(ctx context.Context, _ *admissionv1.AdmissionRequest) admission.Result {
				entered <- ctx
				<-ctx.Done()
				verdict <- ctx.Err()
				return admission.Result{Err: ctx.Err()}
			})
			m, err := admission.NewMux(admission.Options{Lifetime: life, Abort: abort},
				admission.Route{Path: "/validate/objectstores", Resource: storesGVR, Handler: h})
			if err != nil {
				t.Fatal(err)
			}
			client, clientGone := context.WithCancel(context.Background())
			defer clientGone()
			// The request's context derives from the server's lifetime, as net/http's BaseContext makes it.
			reqCtx, cancelReq := context.WithCancel(life)
			stop := context.AfterFunc(client, cancelReq)
			defer stop()
			req := httptest.NewRequestWithContext(reqCtx, http.MethodPost, "/validate/objectstores",
				bytes.NewReader(reviewJSON(t, storesGVR, "ObjectStore", nil)))
			req.Header.Set("Content-Type", "application/json")
			go m.ServeHTTP(httptest.NewRecorder(), req)
			ctx := <-entered
			if end == "client" {
				clientGone()
				if err := <-verdict; !errors.Is(err, context.Canceled) {
					t.Fatalf("review ended with %v, want context.Canceled", err)
				}
				return
			}
			stopServing()
			select {
			case err := <-verdict:
				t.Fatalf("the review ended (%v) with the server's lifetime", err)
			case <-time.After(50 * time.Millisecond):
			}
			if ctx.Err() != nil {
				t.Fatalf("review context ended with the server's lifetime: %v", ctx.Err())
			}
			abortReviews()
			if err := <-verdict; !errors.Is(err, context.Canceled) {
				t.Fatalf("review ended with %v, want context.Canceled", err)
			}
		})
	}
}

// deadlineWriter records the deadlines a handler sets on its connection.
type deadlineWriter struct {
	http.ResponseWriter
	read, write time.Time
}

func (d *deadlineWriter) SetReadDeadline(t time.Time) error  { d.read = t; return nil }
func (d *deadlineWriter) SetWriteDeadline(t time.Time) error { d.write = t; return nil }

// wrapped is a writer in front of another, as controller-runtime's metrics put one.
type wrapped struct{ http.ResponseWriter }

func (w wrapped) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// TestReviewsSetTheirConnectionDeadlines: whatever server carries the mux, a review's connection gets
// read and write deadlines 30 s out, found through wrapping writers.
func TestReviewsSetTheirConnectionDeadlines(t *testing.T) {
	m := newMux(t, nil, fixed(admission.Result{}), nil)
	dw := &deadlineWriter{ResponseWriter: httptest.NewRecorder()}
	req := httptest.NewRequest(http.MethodPost, "/validate/objectstores", bytes.NewReader(reviewJSON(t, storesGVR, "ObjectStore", nil)))
	req.Header.Set("Content-Type", "application/json")
	before := time.Now()
	m.ServeHTTP(wrapped{dw}, req)
	for name, d := range map[string]time.Time{"read": dw.read, "write": dw.write} {
		if d.Before(before.Add(29*time.Second)) || d.After(time.Now().Add(31*time.Second)) {
			t.Errorf("%s deadline %v, want 30 s after %v", name, d, before)
		}
	}
}
