// Package catalog holds what barman-cloud knows about a server's base backups: the backup.info model, the
// catalog read from a store, the choice of a backup for recovery and the retention plan.
package catalog
