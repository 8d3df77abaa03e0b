// Package archiver holds wal-archiver's parts; each subpackage is one of them.
package archiver
