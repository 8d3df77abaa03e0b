// Package memstore is an in-memory store.Store with per-operation fault injection, held to the same
// conformance suite as the S3, Azure and GCS drivers, for unit tests of what reads and writes a store.
package memstore
