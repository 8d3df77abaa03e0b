// Package compress holds the WAL codecs barman-cloud knows, each with the file extension barman gives it,
// so that an archived segment can be written by wal-archiver and read by barman-cloud-wal-restore.
package compress
