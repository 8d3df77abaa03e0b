package admission

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-logr/logr"
	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/objectstore-webhook/objectstore-webhook/internal/jsonscan"
)

// DefaultMaxRequestBytes bounds the memory one review may take. The objects we admit are kilobytes, and
// etcd refuses any object over 1.5 MiB, so even an UPDATE of two objects at that limit (object and
// oldObject) fits in 3 MiB; a larger body is not from the API server. The port is reachable by any pod
// unless a NetworkPolicy says otherwise, so the bound matters. controller-runtime allows 7 MiB.
const DefaultMaxRequestBytes = 3 << 20

// Type says what a route's handlers may answer.
type Type int

const (
	// Validating routes allow or deny; a patch from their handler is a bug.
	Validating Type = iota
	// Mutating routes may also patch.
	Mutating
)

func (t Type) String() string {
	if t == Mutating {
		return "mutating"
	}
	return "validating"
}

// Route binds a handler to a path and to the resource it admits there. Several routes may share a path,
// one per resource, if they share a Type. A nil Handler declares the path and resource without serving
// them yet: reviews for it are denied with a message saying so, which is clearer than a 404.
type Route struct {
	Path        string
	Type        Type
	Resource    schema.GroupVersionResource
	SubResource string
	Handler     Handler
}

// Options configure a Mux.
type Options struct {
	// MaxRequestBytes bounds a review's body; 0 means DefaultMaxRequestBytes.
	MaxRequestBytes int64
	// Metrics, if not nil, count and time every request.
	Metrics *Metrics
	// Logger gets one line per review at V(1), denials at V(0), internal errors as errors. It never gets
	// object content: only uid, kind, namespace/name, operation and field paths.
	Logger logr.Logger
	// Lifetime, if not nil, is the context the HTTP server makes the base of every request's, and ends to
	// begin its shutdown, as controller-runtime's webhook server does. A review in flight when it ends is
	// let finish, since a drain is there to answer what was accepted; it is still cut short when its client
	// goes away, its ?timeout passes, or Abort ends.
	Lifetime context.Context
	// Abort, if not nil, ends the reviews in flight when it ends: the end of the shutdown grace period.
	Abort context.Context
}

// reviewDeadline bounds reading and answering one review: the API server's longest webhook timeout is 30 s.
const reviewDeadline = 30 * time.Second

// Mux answers admission reviews on the paths of its routes.
type Mux struct {
	opts  Options
	paths map[string]*endpoint
	names *jsonscan.Interner // what reviews of the routes repeat
}

type endpoint struct {
	path     string
	typ      Type
	handlers map[resourceKey]Handler
	served   string // the resources served, for the message about an unknown one
}

type resourceKey struct {
	schema.GroupVersionResource
	sub string
}

// NewMux checks the routes and builds the mux. Routes that contradict each other (the same path and
// resource twice, or a path both validating and mutating) are an error.
func NewMux(opts Options, routes ...Route) (*Mux, error) {
	if opts.MaxRequestBytes <= 0 {
		opts.MaxRequestBytes = DefaultMaxRequestBytes
	}
	m := &Mux{opts: opts, paths: map[string]*endpoint{}}
	names := slices.Clone(reviewValues)
	for _, r := range routes {
		names = append(names, r.Resource.Group, r.Resource.Version, r.Resource.Resource, r.SubResource)
		if !strings.HasPrefix(r.Path, "/") {
			return nil, fmt.Errorf("route path %q must start with /", r.Path)
		}
		if r.Resource.Resource == "" || r.Resource.Version == "" {
			return nil, fmt.Errorf("route %s must name a resource with its version", r.Path)
		}
		ep := m.paths[r.Path]
		if ep == nil {
			ep = &endpoint{path: r.Path, typ: r.Type, handlers: map[resourceKey]Handler{}}
			m.paths[r.Path] = ep
		}
		if ep.typ != r.Type {
			return nil, fmt.Errorf("route %s is both %s and %s", r.Path, ep.typ, r.Type)
		}
		key := resourceKey{r.Resource, r.SubResource}
		if _, dup := ep.handlers[key]; dup {
			return nil, fmt.Errorf("route %s has two handlers for %s", r.Path, resourceName(r.Resource, r.SubResource))
		}
		ep.handlers[key] = r.Handler
		if ep.served != "" {
			ep.served += ", "
		}
		ep.served += resourceName(r.Resource, r.SubResource)
	}
	m.names = jsonscan.NewInterner(names...)
	return m, nil
}

// Paths lists the paths served, for registering them on an http.ServeMux.
func (m *Mux) Paths() []string {
	out := make([]string, 0, len(m.paths))
	for p := range m.paths {
		out = append(out, p)
	}
	return out
}

// ServeHTTP answers one review. Requests that cannot be read as a review get an HTTP 4xx; a review that
// can be read always gets HTTP 200 with its verdict, because the API server only shows the user a denial's
// message when the call itself succeeded.
func (m *Mux) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	m.opts.Metrics.enter()
	defer m.opts.Metrics.leave()
	setDeadlines(w, start.Add(reviewDeadline))

	ep := m.paths[r.URL.Path]
	if ep == nil {
		// The path is the client's to choose: it goes in the message, not in a metric label.
		m.fail(w, "unknown", start, -1, http.StatusNotFound, fmt.Sprintf("no admission webhook at %s", r.URL.Path))
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		m.fail(w, ep.path, start, -1, http.StatusMethodNotAllowed, fmt.Sprintf("method %s not allowed: admission reviews are POSTed", r.Method))
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != jsonContentType && !isJSONMediaType(ct) {
		m.fail(w, ep.path, start, -1, http.StatusUnsupportedMediaType,
			fmt.Sprintf("content type %q not supported: admission reviews are sent as %s", r.Header.Get("Content-Type"), jsonContentType))
		return
	}
	limit := m.opts.MaxRequestBytes
	if r.ContentLength > limit {
		m.fail(w, ep.path, start, int(r.ContentLength), http.StatusRequestEntityTooLarge, tooLarge(r.ContentLength, limit))
		return
	}
	// The body and the answer are written into buffers reused across reviews: Handler.Admit may not retain
	// anything reachable from the request, and the decoders copy the strings they keep.
	bufs := buffers.Get().(*reviewBuffers)
	defer bufs.release()
	body, err := readBody(w, r, limit, bufs.body[:0])
	bufs.body = body
	if err != nil {
		var tl *http.MaxBytesError
		if errors.As(err, &tl) {
			m.fail(w, ep.path, start, len(body), http.StatusRequestEntityTooLarge, tooLarge(-1, limit))
			return
		}
		m.fail(w, ep.path, start, len(body), http.StatusBadRequest, fmt.Sprintf("reading the request body: %v", err))
		return
	}
	review, err := decodeReview(body, m.names)
	if err != nil {
		code := http.StatusBadRequest
		var re *ReviewError
		if errors.As(err, &re) {
			code = re.Code
		}
		m.fail(w, ep.path, start, len(body), code, err.Error())
		return
	}

	ctx, release := m.reviewContext(r)
	defer release.release()
	resp, verdict, cause := m.admit(ctx, ep, review.Request, bufs)
	out, err := appendResponse(bufs.out[:0], review, resp)
	bufs.out = out
	if err != nil {
		// Only a handler's Result can make encoding fail (e.g. a Status with an unencodable detail).
		cause, verdict = fmt.Errorf("encoding the response: %w", err), VerdictError
		st := internalStatus(review.Request)
		out, _ = EncodeReview(review, &admissionv1.AdmissionResponse{Result: &st})
	}
	w.Header().Set("Content-Type", jsonContentType)
	_, _ = w.Write(out)

	req := review.Request
	elapsed := time.Since(start)
	m.opts.Metrics.observe(ep.path, metricResource(req), string(req.Operation), verdict, len(body), elapsed)
	m.log(ep, req, resp, verdict, cause, elapsed)
}

// admit dispatches req and turns the handler's Result into a response. cause is the internal error to log.
func (m *Mux) admit(ctx context.Context, ep *endpoint, req *admissionv1.AdmissionRequest, bufs *reviewBuffers) (resp *admissionv1.AdmissionResponse, verdict string, cause error) {
	gvr := schema.GroupVersionResource(req.Resource)
	h, known := ep.handlers[resourceKey{gvr, req.SubResource}]
	switch {
	case !known:
		// The webhook configuration's rules send this path something it does not serve: deny, naming both,
		// so whoever wrote the rules sees the mismatch.
		st := statusFor(http.StatusBadRequest, fmt.Sprintf("%s admits %s, not %s: check the webhook configuration's rules",
			ep.path, ep.served, resourceName(gvr, req.SubResource)))
		return &admissionv1.AdmissionResponse{UID: req.UID, Result: &st}, VerdictError, nil
	case h == nil:
		st := statusFor(http.StatusNotImplemented, fmt.Sprintf("%s is declared but this build of objectstore-webhook has no handler for %s",
			ep.path, resourceName(gvr, req.SubResource)))
		return &admissionv1.AdmissionResponse{UID: req.UID, Result: &st}, VerdictError, nil
	}
	result := safeAdmit(ctx, h, req, bufs)
	resp, verdict = respond(req, result, ep.typ == Mutating)
	switch {
	case result.Err != nil:
		cause = result.Err
	case verdict == VerdictError:
		cause = fmt.Errorf("handler returned a patch that a %s route cannot send (%d bytes)", ep.typ, len(result.Patch))
	}
	return resp, verdict, cause
}

// safeAdmit keeps a panicking handler from taking the connection (and, in tests, the process) with it.
// A PatchAppender writes its patch into bufs, which keeps it for the next review.
func safeAdmit(ctx context.Context, h Handler, req *admissionv1.AdmissionRequest, bufs *reviewBuffers) (res Result) {
	defer func() {
		if p := recover(); p != nil {
			res = Result{Err: fmt.Errorf("handler panicked: %v\n%s", p, debug.Stack())}
		}
	}()
	if pa, ok := h.(PatchAppender); ok {
		res = pa.AdmitAppend(ctx, req, bufs.patch[:0])
		if cap(res.Patch) > 0 {
			bufs.patch = res.Patch[:0]
		}
		return res
	}
	return h.Admit(ctx, req)
}

// setDeadlines bounds reading and writing the review's connection, per request rather than per server so
// that they hold whichever HTTP server carries the mux, through wrappers such as controller-runtime's
// metrics (as http.ResponseController finds them, without its error allocation for a writer that has
// none, such as a test's recorder).
func setDeadlines(w http.ResponseWriter, at time.Time) {
	for {
		if d, ok := w.(interface {
			SetReadDeadline(time.Time) error
			SetWriteDeadline(time.Time) error
		}); ok {
			_ = d.SetReadDeadline(at)
			_ = d.SetWriteDeadline(at)
			return
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return
		}
		w = u.Unwrap()
	}
}

// reviewContext is the context a handler gets. It honours the ?timeout= the API server adds to every
// webhook call: past it, the API server has already applied the failure policy, so work on the review is
// wasted. With Options.Lifetime it outlives the server's shutdown signal but not its client (see Options).
// release frees what it holds once the review is answered.
func (m *Mux) reviewContext(r *http.Request) (ctx context.Context, release reviewRelease) {
	ctx = r.Context()
	if life, abort := m.opts.Lifetime, m.opts.Abort; life != nil || abort != nil {
		parent := ctx
		var cancel context.CancelFunc
		if life != nil {
			ctx, cancel = context.WithCancel(context.WithoutCancel(parent))
			// The request's context ends with the server's lifetime (its parent) or with its client; only
			// the latter ends the review. A parent is cancelled before its children, so life.Err() tells
			// the two apart.
			release.stopParent = context.AfterFunc(parent, func() {
				if life.Err() == nil {
					cancel()
				}
			})
		} else {
			ctx, cancel = context.WithCancel(parent)
		}
		if abort != nil {
			release.stopAbort = context.AfterFunc(abort, cancel)
		}
		release.cancel = cancel
	}
	if r.URL.RawQuery != "" {
		if t := r.URL.Query().Get("timeout"); t != "" {
			if d, err := time.ParseDuration(t); err == nil && d > 0 {
				ctx, release.cancelTimeout = context.WithTimeout(ctx, d)
			}
		}
	}
	return ctx, release
}

// reviewRelease undoes what reviewContext set up; a value, so that the common case allocates nothing.
type reviewRelease struct {
	cancel, cancelTimeout context.CancelFunc
	stopParent, stopAbort func() bool
}

func (r *reviewRelease) release() {
	for _, stop := range [...]func() bool{r.stopParent, r.stopAbort} {
		if stop != nil {
			stop()
		}
	}
	for _, cancel := range [...]context.CancelFunc{r.cancelTimeout, r.cancel} {
		if cancel != nil {
			cancel()
		}
	}
}

func (m *Mux) fail(w http.ResponseWriter, path string, start time.Time, size, code int, message string) {
	w.Header().Set("Content-Type", jsonContentType)
	w.WriteHeader(code)
	_, _ = w.Write(errorReview(code, message))
	m.opts.Metrics.observe(path, "", "", VerdictMalformed, size, time.Since(start))
	m.opts.Logger.V(1).Info("admission request refused", "webhook", path, "code", code, "reason", message)
}

func (m *Mux) log(ep *endpoint, req *admissionv1.AdmissionRequest, resp *admissionv1.AdmissionResponse, verdict string, cause error, elapsed time.Duration) {
	if (verdict == VerdictAllowed || verdict == VerdictWarned || verdict == VerdictPatched) && !m.opts.Logger.V(1).Enabled() {
		return // the common case costs nothing when debug logging is off
	}
	log := m.opts.Logger.WithValues("webhook", ep.path, "uid", req.UID, "kind", req.Kind.Kind,
		"object", objectRef(req), "operation", req.Operation)
	switch verdict {
	case VerdictError:
		if cause != nil {
			log.Error(cause, "admission failed", "elapsed", elapsed)
			return
		}
		log.Info("admission refused", "reason", resp.Result.Message)
	case VerdictDenied:
		kv := []any{"code", resp.Result.Code, "elapsed", elapsed}
		if d := resp.Result.Details; d != nil && len(d.Causes) > 0 {
			fields := make([]string, 0, len(d.Causes))
			for _, c := range d.Causes {
				fields = append(fields, c.Field+" ("+string(c.Type)+")")
			}
			kv = append(kv, "fields", fields)
		} else {
			kv = append(kv, "reason", resp.Result.Reason)
		}
		log.Info("admission denied", kv...)
	default:
		log.V(1).Info("admission answered", "verdict", verdict, "warnings", len(resp.Warnings),
			"patchBytes", len(resp.Patch), "elapsed", elapsed)
	}
}

// reviewBuffers are the body, the patch and the answer of one review, kept for the next.
type reviewBuffers struct{ body, patch, out []byte }

var buffers = sync.Pool{New: func() any { return new(reviewBuffers) }}

// maxPooledBuffer keeps the pool from holding on to the rare large review.
const maxPooledBuffer = 256 << 10

func (b *reviewBuffers) release() {
	if cap(b.body) > maxPooledBuffer {
		b.body = nil
	}
	if cap(b.patch) > maxPooledBuffer {
		b.patch = nil
	}
	if cap(b.out) > maxPooledBuffer {
		b.out = nil
	}
	buffers.Put(b)
}

// readBody reads at most limit bytes into buf (whose content it discards), in at most one allocation when
// the length is announced.
func readBody(w http.ResponseWriter, r *http.Request, limit int64, buf []byte) ([]byte, error) {
	body := http.MaxBytesReader(w, r.Body, limit)
	if r.ContentLength <= 0 {
		return io.ReadAll(body)
	}
	// One byte more than announced, so that reading ends on io.EOF without growing the buffer.
	buf = slices.Grow(buf[:0], int(r.ContentLength)+1)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)] // a body longer than announced: let append grow it
		}
		n, err := body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// isJSONMediaType accepts application/json with parameters (charset=utf-8), as the API server may send.
func isJSONMediaType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && mt == jsonContentType
}

func tooLarge(size, limit int64) string {
	if size < 0 {
		return fmt.Sprintf("request body larger than the %d-byte limit (--max-request-bytes)", limit)
	}
	return fmt.Sprintf("request body of %d bytes is larger than the %d-byte limit (--max-request-bytes)", size, limit)
}

// resourceName is how messages name a resource: group/version/resource[/subresource].
func resourceName(gvr schema.GroupVersionResource, sub string) string {
	s := gvr.Version + "/" + gvr.Resource
	if gvr.Group != "" {
		s = gvr.Group + "/" + s
	}
	if sub != "" {
		s += "/" + sub
	}
	return s
}

// metricResource is the resource label: the resource and subresource, which within one webhook path is
// unambiguous and keeps the label short.
func metricResource(req *admissionv1.AdmissionRequest) string {
	if req.SubResource != "" {
		return req.Resource.Resource + "/" + req.SubResource
	}
	return req.Resource.Resource
}
