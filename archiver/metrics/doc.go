// Package metrics holds wal-archiver's Prometheus metrics and the health state behind /healthz and /readyz.
package metrics
