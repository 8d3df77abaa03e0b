// Package schedule reads the cron schedules of base backups, the same way for the Cluster webhook that
// admits them and for wal-archiver that runs them.
package schedule
