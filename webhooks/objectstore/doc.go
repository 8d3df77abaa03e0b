// Package objectstore holds the ObjectStore rules: pure functions from (old, new, a read-only view of
// Secrets) to field errors and warnings, shared by the admission webhook and the offline validate command.
package objectstore
