// Package archivertest sets up, for integration tests, a store as both wal-archiver and barman-cloud reach
// it, and our WAL archiver streaming into it.
package archivertest
