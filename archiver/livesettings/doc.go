// Package livesettings is wal-archiver's one lookup of a setting (flag, settings file, credentials
// directory, environment, default), re-readable with a content fingerprint so a running archiver follows
// the kubelet's updates of the mounted ConfigMap and Secrets.
package livesettings
