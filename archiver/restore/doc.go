// Package restore fetches archived WAL for PostgreSQL's restore_command the way barman-cloud-wal-restore
// does, writing it atomically and prefetching the next segments in parallel into a local spool.
package restore
