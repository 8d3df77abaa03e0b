package pod

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/objectstore-webhook/objectstore-webhook/internal/contract"
)

// TestBackupScheduleRefusedIsLeftOut: a schedule the Cluster webhook would refuse (admitted before the
// check, or with the webhook off) is not handed to the archiver, which would not start on it and so would
// not archive WAL either; the store's other backup settings still are.
func TestBackupScheduleRefusedIsLeftOut(t *testing.T) {
	raw, set := loadCase(t, "testdata/base-backups.yaml")
	p, _, err := Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := set.Cluster(context.Background(), "db", "pg")
	store, _ := set.ObjectStore(context.Background(), "db", "backups")
	for spec, want := range map[string]string{"0 0 3 * * 0": "0 0 3 * * 0", " @weekly ": "@weekly", "0 3 * *": "", "TZ=": ""} {
		c := c.DeepCopy()
		c.Annotations[contract.ClusterBackupSchedule] = spec
		add, _, err := Plan(p, c, store, nil, testOptions("x"))
		if err != nil {
			t.Fatal(err)
		}
		env := append(add.InitContainers, add.Containers...)[0].Env
		if got := envValueOf(env, contract.BackupSchedule.Env); got != want {
			t.Errorf("schedule %q: %s=%q, want %q", spec, contract.BackupSchedule.Env, got, want)
		}
		if got := envValueOf(env, contract.DataJobs.Env); got != "8" {
			t.Errorf("schedule %q: %s=%q, want 8", spec, contract.DataJobs.Env, got)
		}
	}
}

func envValueOf(env []corev1.EnvVar, name string) string {
	for _, e := range env {
		if e.Name == name {
			return e.Value
		}
	}
	return ""
}
