// Package e2e tests the product as users meet it: the real objectstore-webhook binary behind a real
// kube-apiserver, driven by the real kubectl, with the manifests from manifests/base. The tests carry the
// build tag integration; run them with `go test -tags integration ./e2e/...` and KUBEBUILDER_ASSETS set.
package e2e
