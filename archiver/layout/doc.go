// Package layout names WAL files and the object keys they are archived under, exactly as barman-cloud does,
// so that barman-cloud-wal-restore and CloudNativePG's barman plugin can read what wal-archiver writes.
package layout
