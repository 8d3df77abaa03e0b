package metrics

import "github.com/prometheus/client_golang/prometheus"

// Kinds of object retention deletes, the values of the kind label of wal_archiver_retention_deleted_objects_total.
const (
	DeletedBackup = "backup" // a base backup (its tars and backup.info count as one)
	DeletedWAL    = "wal"
)

// Catalog are the base backups as the store's catalog shows them, and what retention does to them. The
// primary's archiver refreshes them on each retention run (also without a policy, to read the catalog).
type Catalog struct {
	FirstRecoverabilityPoint prometheus.Gauge
	LastBackup               prometheus.Gauge
	Backups                  prometheus.Gauge
	Deleted                  *prometheus.CounterVec
	LastRetention            prometheus.Gauge
	// ScheduleInterval is set by whoever runs the backup schedule: the longest time between two of its
	// runs, so that an alert knows how old the newest backup may be.
	ScheduleInterval prometheus.Gauge
}

func newCatalog(r *prometheus.Registry) *Catalog {
	g := func(name, help string) prometheus.Gauge { return gauge(r, name, help) }
	c := &Catalog{
		FirstRecoverabilityPoint: g("wal_archiver_catalog_first_recoverability_point_timestamp_seconds",
			"End time of the oldest completed base backup in the store (the plugin's firstRecoverabilityPoint); 0 when there is none."),
		LastBackup: g("wal_archiver_catalog_last_backup_timestamp_seconds",
			"End time of the newest completed base backup in the store (the plugin's lastSuccessfulBackupTime); 0 when there is none."),
		Backups: g("wal_archiver_catalog_backups",
			"Completed base backups in the store (both begin_time and end_time set)."),
		LastRetention: g("wal_archiver_retention_last_success_timestamp_seconds",
			"When retention last ran to the end (read the catalog, deleted what the policy says); 0 before the first run."),
		ScheduleInterval: g("wal_archiver_backup_schedule_interval_seconds",
			"Longest time between two runs of the backup schedule; 0 without a schedule (on-demand backups only)."),
		Deleted: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "wal_archiver_retention_deleted_objects_total",
			Help: "Base backups and WAL objects deleted by retention."}, []string{"kind"}),
	}
	r.MustRegister(c.Deleted)
	c.Deleted.WithLabelValues(DeletedBackup)
	c.Deleted.WithLabelValues(DeletedWAL)
	return c
}
