// Package webhooks groups one package per admitted resource (objectstore, cluster, pod) and the thin
// admission transport that dispatches to them.
package webhooks
