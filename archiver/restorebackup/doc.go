// Package restorebackup restores a base backup in barman-cloud's layout from an object store into a new,
// empty PGDATA, fetching its tars in parallel ranged reads and extracting them safely.
package restorebackup
