// Package location reads a destinationPath into provider, bucket or container, account, prefix and form,
// the same way for the ObjectStore rules that admit it and for wal-archiver that writes there.
package location
