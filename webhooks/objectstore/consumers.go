package objectstore

import (
	v1 "github.com/objectstore-webhook/objectstore-webhook/schema/barmancloud/v1"
)

// minRetentionInterval is the shortest retention interval wal-archiver accepts, in seconds; the pod
// webhook raises a shorter retentionPolicyIntervalSeconds to it.
const minRetentionInterval = 60

// consumers warns about settings that only one of a store's two possible consumers reads. The Barman
// Cloud Plugin passes the additional arguments to its barman-cloud commands; wal-archiver implements
// every other data.* and wal.* setting itself and has no command line to pass them to.
func (v *validator) consumers(spec *v1.ObjectStoreSpec) {
	cfg := &spec.Configuration
	if d := cfg.Data; d != nil {
		if len(d.AdditionalCommandArgs) > 0 {
			v.warn(pathDataArgs, "the plugin's barman-cloud-backup only; wal-archiver ignores it")
		}
		if len(d.RestoreAdditionalCommandArgs) > 0 {
			v.warn(pathDataRestoreArgs, "the plugin's barman-cloud-restore only; wal-archiver ignores it")
		}
	}
	if w := cfg.Wal; w != nil {
		if len(w.ArchiveAdditionalCommandArgs) > 0 {
			v.warn(pathWalArchiveArgs, "the plugin's barman-cloud-wal-archive only; wal-archiver ignores it")
		}
		if len(w.RestoreAdditionalCommandArgs) > 0 {
			v.warn(pathWalRestoreArgs, "the plugin's barman-cloud-wal-restore only; wal-archiver ignores it")
		}
	}
	if n := spec.InstanceSidecarConfiguration.RetentionPolicyIntervalSeconds; n > 0 && n < minRetentionInterval {
		v.warn(pathSidecarInterval, "wal-archiver uses its minimum of 60 instead")
	}
}
