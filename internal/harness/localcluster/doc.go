// Package localcluster runs the product on one machine: etcd and kube-apiserver through envtest, the CRDs and
// webhook configurations users install (rewritten only to reach a local URL), and the real objectstore-webhook
// binary, with a kubectl runner for the end-to-end tests and `make run`.
package localcluster
