// Package binding reads what a Cluster declares about its backups (which ObjectStore, under which server
// name, with which cloud identity, schedule and WAL bound) and looks up the objects a decision needs,
// alike for the Cluster and pod webhooks and the settings controller.
package binding
