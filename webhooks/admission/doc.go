// Package admission is the thin transport every webhook plugs into: it decodes an admission.k8s.io/v1
// AdmissionReview, dispatches it by resource to a registered Handler, encodes the verdict, and counts,
// times and bounds each request.
//
// Dependencies point one way: the per-resource packages (webhooks/objectstore, webhooks/cluster,
// webhooks/pod) never import this package's callers, and this package imports none of them. A resource
// package either implements Handler itself (a sideways import of this package) or, when it is a set of pure
// functions as webhooks/objectstore is, is adapted by ValidateFunc in the command's wiring. Either way the
// transport decides nothing itself: it only turns a Result into an AdmissionResponse.
package admission
