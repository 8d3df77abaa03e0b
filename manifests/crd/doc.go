// Package crd holds the generated ObjectStore CRD, so that serve can compare the CRD a cluster has
// installed with the one this webhook was built against.
package crd
