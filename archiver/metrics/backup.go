package metrics

import "github.com/prometheus/client_golang/prometheus"

// Backup stages, the values of the reason label of wal_archiver_backup_failures_total (the basebackup
// package's Stages; listed here too so that every series exists from the start).
var BackupStages = []string{"connect", "postgres", "upload", "wal", "lock"}

// Backup are the base backups this process took (the schedule's, in the stream process; an exec'd
// `wal-archiver backup` is a process of its own, and the catalog gauges see its backup in the store).
type Backup struct {
	LastSuccess prometheus.Gauge
	Duration    prometheus.Gauge
	Bytes       prometheus.Gauge
	RawBytes    prometheus.Gauge
	Running     prometheus.Gauge
	Failures    *prometheus.CounterVec
}

// gauge registers a new gauge on r.
func gauge(r *prometheus.Registry, name, help string) prometheus.Gauge {
	c := prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: help})
	r.MustRegister(c)
	return c
}

func newBackup(r *prometheus.Registry) *Backup {
	g := func(name, help string) prometheus.Gauge { return gauge(r, name, help) }
	b := &Backup{
		LastSuccess: g("wal_archiver_backup_last_success_timestamp_seconds",
			"When the last base backup taken by this process finished (its backup.info stored); 0 before the first."),
		Duration: g("wal_archiver_backup_duration_seconds",
			"Duration of the last successful base backup, from BASE_BACKUP to backup.info."),
		Bytes: g("wal_archiver_backup_bytes",
			"Bytes stored (after compression) by the last successful base backup."),
		RawBytes: g("wal_archiver_backup_source_bytes",
			"Bytes PostgreSQL sent for the last successful base backup (its tars before compression)."),
		Running: g("wal_archiver_backup_running",
			"1 while this process takes a base backup."),
		Failures: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "wal_archiver_backup_failures_total",
			Help: "Failed base backups by the stage they stopped at: connect, postgres (the server ended or refused it: a failover, a restart), upload, wal (the end segment did not reach the archive in time), lock (another backup was running)."},
			[]string{"reason"}),
	}
	r.MustRegister(b.Failures)
	for _, s := range BackupStages {
		b.Failures.WithLabelValues(s)
	}
	return b
}
