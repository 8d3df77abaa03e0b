// Package monitoring ships the Prometheus Operator resources that scrape the webhook and the wal-archiver
// sidecars and alert on them; internal/harness/promrules reads the alerting rules back for the tests that
// check them against the metrics the binaries export.
package monitoring
