// Package testservers starts the real storage services the integration tests run against (MinIO, Azurite,
// fake-gcs-server) on free 127.0.0.1 ports with temporary data directories, and stops them on t.Cleanup.
package testservers
