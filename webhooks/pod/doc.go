// Package pod plans what a CloudNativePG instance pod gains (the wal-archiver sidecar, its credentials and
// its cloud identity) and turns that plan into add-only JSON-patch operations on the pod as submitted.
package pod
