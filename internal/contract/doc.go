// Package contract is the one place where the names shared by the webhook and wal-archiver are written:
// annotation keys, the sidecar's settings (flag and environment variable), mount paths and volume names.
package contract
