// Package addpatch builds JSON patches that only add: a missing map or array is added whole at its own
// path, an existing one gains one operation per key or element, and nothing is replaced or removed, so
// that fields this build of k8s.io/api does not know survive a mutation.
package addpatch
