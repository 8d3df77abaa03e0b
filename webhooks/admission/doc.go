// Package admission is the thin transport every webhook plugs into: it decodes an admission.k8s.io/v1 (or
// v1beta1) AdmissionReview, dispatches it by resource to a registered Handler, encodes the verdict, and
// counts, times and bounds each request.
//
// It names no resource type. A resource package either implements Handler itself (webhooks/cluster,
// webhooks/pod) or, when it is a set of pure functions as webhooks/objectstore is, brings a Codec (its kind
// and its decoder, fast or plain) that ValidateFunc adapts in the command's wiring. Either way the
// transport decides nothing itself: it only turns a Result into an AdmissionResponse.
package admission
