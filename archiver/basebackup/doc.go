// Package basebackup takes a base backup over PostgreSQL's replication protocol (BASE_BACKUP) and streams
// it into the object store in barman-cloud's layout, backup.info last.
package basebackup
