package settingsctl

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/objectstore-webhook/objectstore-webhook/internal/contract"
	barmanv1 "github.com/objectstore-webhook/objectstore-webhook/schema/barmancloud/v1"
	cnpgv1 "github.com/objectstore-webhook/objectstore-webhook/schema/cnpg/v1"
	"github.com/objectstore-webhook/objectstore-webhook/webhooks/pod"
)

func boundCluster(name, store string, ann ...string) *cnpgv1.Cluster {
	c := &cnpgv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "db", UID: types.UID("uid-" + name),
		Annotations: map[string]string{}}}
	if store != "" {
		c.Annotations[contract.ClusterObjectStore] = store
	}
	for i := 0; i+1 < len(ann); i += 2 {
		c.Annotations[ann[i]] = ann[i+1]
	}
	return c
}

func upstreamCluster(name, store string) *cnpgv1.Cluster {
	c := boundCluster(name, "")
	c.Spec.Plugins = []cnpgv1.PluginConfiguration{{Name: cnpgv1.BarmanCloudPluginName,
		Parameters: map[string]string{contract.UpstreamPluginObjectStoreParam: store}}}
	return c
}

func s3Store(name string, edit func(*barmanv1.ObjectStore)) *barmanv1.ObjectStore {
	s := &barmanv1.ObjectStore{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "db"}}
	s.Spec.Configuration.DestinationPath = "s3://bucket/pg"
	s.Spec.Configuration.AWS = &barmanv1.S3Credentials{
		AccessKeyIDReference:     &barmanv1.SecretKeySelector{LocalObjectReference: barmanv1.LocalObjectReference{Name: "aws"}, Key: "id"},
		SecretAccessKeyReference: &barmanv1.SecretKeySelector{LocalObjectReference: barmanv1.LocalObjectReference{Name: "aws"}, Key: "secret"},
	}
	if edit != nil {
		edit(s)
	}
	return s
}

// TestRender: the ConfigMap's name, owner, labels and settings, for each way a Cluster and its store can
// stand; every StoreSettings variable is present (empty when unset) so a removed setting reads as removed.
func TestRender(t *testing.T) {
	for _, tc := range []struct {
		name    string
		cluster *cnpgv1.Cluster
		store   *barmanv1.ObjectStore
		want    map[string]string // settings that must have these values
		absent  []string          // settings that must not be keys
		wantErr string
	}{
		{name: "defaults", cluster: boundCluster("pg", "store"), store: s3Store("store", nil),
			want: map[string]string{contract.DestinationPath.Env: "s3://bucket/pg", contract.ServerName.Env: "pg",
				contract.Provider.Env: "s3", contract.Compression.Env: "", contract.RetentionPolicy.Env: "",
				contract.BackupSchedule.Env: ""}},
		{name: "store and cluster settings", cluster: boundCluster("pg", "store",
			contract.ClusterServerName, "pg-2", contract.ClusterBackupSchedule, "0 0 * * *"),
			store: s3Store("store", func(s *barmanv1.ObjectStore) {
				s.Spec.Configuration.Wal = &barmanv1.WalBackupConfiguration{Compression: "zstd"}
				s.Spec.RetentionPolicy = "30d"
				s.Spec.Configuration.AWS.InheritFromIAMRole = true
			}),
			want: map[string]string{contract.ServerName.Env: "pg-2", contract.BackupSchedule.Env: "0 0 * * *",
				contract.Compression.Env: "zstd", contract.RetentionPolicy.Env: "30d", contract.S3IAMRole.Env: "true"}},
		{name: "store env overrides", cluster: boundCluster("pg", "store"),
			store: s3Store("store", func(s *barmanv1.ObjectStore) {
				s.Spec.Configuration.Wal = &barmanv1.WalBackupConfiguration{Compression: "zstd"}
				s.Spec.InstanceSidecarConfiguration.Env = []corev1.EnvVar{
					{Name: contract.Compression.Env, Value: "gzip"},
					{Name: contract.LogLevel.Env, ValueFrom: &corev1.EnvVarSource{
						FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}},
					{Name: "UNRELATED", Value: "x"}}
			}),
			want: map[string]string{contract.Compression.Env: "gzip"}, absent: []string{contract.LogLevel.Env, "UNRELATED"}},
		{name: "unbound", cluster: boundCluster("pg", ""), store: s3Store("store", nil), wantErr: "bound to no ObjectStore"},
		{name: "Barman Cloud Plugin's own sidecar", cluster: upstreamCluster("pg", "store"), store: s3Store("store", nil),
			wantErr: "bound to no ObjectStore"},
		{name: "another store", cluster: boundCluster("pg", "other"), store: s3Store("store", nil), wantErr: `archives to ObjectStore "other"`},
		{name: "broken store", cluster: boundCluster("pg", "store"),
			store:   s3Store("store", func(s *barmanv1.ObjectStore) { s.Spec.Configuration.DestinationPath = "" }),
			wantErr: "spec.configuration.destinationPath is empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cm, err := Render(tc.cluster, tc.store)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Render error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cm.Name != "pg-wal-archiver" || cm.Namespace != "db" || cm.Labels[ManagedByLabel] != ManagedBy {
				t.Errorf("ConfigMap %s/%s labels %v", cm.Namespace, cm.Name, cm.Labels)
			}
			if len(cm.OwnerReferences) != 1 || cm.OwnerReferences[0].UID != tc.cluster.UID ||
				cm.OwnerReferences[0].Kind != "Cluster" || cm.OwnerReferences[0].APIVersion != "postgresql.cnpg.io/v1" ||
				cm.OwnerReferences[0].BlockOwnerDeletion != nil {
				t.Errorf("owner references %+v, want the Cluster (uid %s) without blockOwnerDeletion", cm.OwnerReferences, tc.cluster.UID)
			}
			var got map[string]string
			if err := json.Unmarshal([]byte(cm.Data[contract.SettingsKey]), &got); err != nil {
				t.Fatalf("%s is not a JSON object of strings: %v", contract.SettingsKey, err)
			}
			for k, v := range tc.want {
				if g, ok := got[k]; !ok || g != v {
					t.Errorf("%s = %q (present %v), want %q", k, g, ok, v)
				}
			}
			for _, k := range tc.absent {
				if _, ok := got[k]; ok {
					t.Errorf("%s is in the settings file, want it left to the env", k)
				}
			}
			b, _ := Bound(tc.cluster)
			all, _ := pod.StoreSettings(tc.cluster, b, tc.store)
			for _, st := range all {
				if _, ok := got[st.Setting.Env]; !ok && !slices.Contains(tc.absent, st.Setting.Env) {
					t.Errorf("%s is missing: a setting removed from the store would not read as removed", st.Setting.Env)
				}
			}
			for k := range got {
				if !strings.HasPrefix(k, "WAL_ARCHIVER_") {
					t.Errorf("key %s is not a WAL_ARCHIVER_* setting", k)
				}
			}
			again, _ := Render(tc.cluster, tc.store)
			if again.Data[contract.SettingsKey] != cm.Data[contract.SettingsKey] {
				t.Errorf("two renders differ: replicas would fight:\n%s\n%s", cm.Data[contract.SettingsKey], again.Data[contract.SettingsKey])
			}
		})
	}
}

// TestApplyConfiguration: what is applied is what was rendered.
func TestApplyConfiguration(t *testing.T) {
	cm, err := Render(boundCluster("pg", "store"), s3Store("store", nil))
	if err != nil {
		t.Fatal(err)
	}
	ac := ApplyConfiguration(cm)
	if *ac.Name != cm.Name || *ac.Namespace != cm.Namespace || ac.Data[contract.SettingsKey] != cm.Data[contract.SettingsKey] ||
		ac.Labels[ManagedByLabel] != ManagedBy || len(ac.OwnerReferences) != 1 || *ac.OwnerReferences[0].UID != "uid-pg" ||
		!*ac.OwnerReferences[0].Controller {
		t.Errorf("apply configuration %+v differs from the render", ac)
	}
}

// TestClustersOf: an ObjectStore event re-renders exactly the Clusters of its namespace that the pod webhook
// injects an archiver of ours into for that store.
func TestClustersOf(t *testing.T) {
	other := boundCluster("elsewhere", "store")
	other.Namespace = "other"
	clusters := []cnpgv1.Cluster{*boundCluster("a", "store"), *boundCluster("b", "store2"), *boundCluster("c", ""),
		*upstreamCluster("d", "store"), *other, *boundCluster("e", "store", contract.ClusterServerName, "x")}
	var got []string
	for _, k := range ClustersOf("db", "store", clusters) {
		got = append(got, k.String())
	}
	if want := []string{"db/a", "db/e"}; !slices.Equal(got, want) {
		t.Errorf("ClustersOf(db, store) = %v, want %v", got, want)
	}
	if got := ClustersOf("db", "missing", clusters); len(got) != 0 {
		t.Errorf("ClustersOf(db, missing) = %v, want none", got)
	}
}

// TestOwnerOf: a ConfigMap event re-renders the Cluster that owns it, and only ours count.
func TestOwnerOf(t *testing.T) {
	cm, err := Render(boundCluster("pg", "store"), s3Store("store", nil))
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := OwnerOf(cm); !ok || got != (types.NamespacedName{Namespace: "db", Name: "pg"}) {
		t.Errorf("OwnerOf = %v %v, want db/pg", got, ok)
	}
	foreign := cm.DeepCopy()
	delete(foreign.Labels, ManagedByLabel)
	if _, ok := OwnerOf(foreign); ok {
		t.Error("a ConfigMap without our label is ours")
	}
	renamed := cm.DeepCopy()
	renamed.Name = "something-else"
	if _, ok := OwnerOf(renamed); ok {
		t.Error("a ConfigMap not named after its owner is ours")
	}
}

// TestChanged: a spec or annotation change re-renders; a status-only write does not.
func TestChanged(t *testing.T) {
	base := boundCluster("pg", "store")
	base.Generation = 3
	status := base.DeepCopy()
	status.ResourceVersion = "2"
	status.Status.CurrentPrimary = "pg-2"
	spec := base.DeepCopy()
	spec.Generation = 4
	ann := base.DeepCopy()
	ann.Annotations[contract.ClusterServerName] = "other"
	recreated := base.DeepCopy()
	recreated.UID = "new"
	for _, tc := range []struct {
		name string
		new  *cnpgv1.Cluster
		want bool
	}{{"status only", status, false}, {"spec", spec, true}, {"annotation", ann, true}, {"re-created", recreated, true}} {
		if got := Changed(base, tc.new); got != tc.want {
			t.Errorf("%s: Changed = %v, want %v", tc.name, got, tc.want)
		}
	}
	if !Changed("not an object", base) {
		t.Error("an unknown object type must re-render")
	}
}
