// Package crdcheck compares the ObjectStore CRD installed in a cluster with the one this webhook was built
// against and names the fields the installed one lacks, so that serve can refuse readiness beside an
// incompatible Barman Cloud Plugin instead of validating objects the API server has pruned.
package crdcheck
