package cluster

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	jsonpatch5 "github.com/evanphx/json-patch/v5"
	"gomodules.xyz/jsonpatch/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/objectstore-webhook/objectstore-webhook/internal/binding"
	"github.com/objectstore-webhook/objectstore-webhook/internal/contract"
	barmanv1 "github.com/objectstore-webhook/objectstore-webhook/schema/barmancloud/v1"
	cnpgv1 "github.com/objectstore-webhook/objectstore-webhook/schema/cnpg/v1"
)

const roleARN = "arn:aws:iam::123456789012:role/pg-backup"

func store(name string, conf barmanv1.BarmanCredentials, ann map[string]string) *barmanv1.ObjectStore {
	return &barmanv1.ObjectStore{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "db", Annotations: ann},
		Spec: barmanv1.ObjectStoreSpec{Configuration: barmanv1.BarmanObjectStoreConfiguration{
			BarmanCredentials: conf, DestinationPath: "s3://bucket/" + name}},
	}
}

var (
	irsaStore = store("aws", barmanv1.BarmanCredentials{AWS: &barmanv1.S3Credentials{InheritFromIAMRole: true}},
		map[string]string{contract.StoreAWSRoleARN: roleARN})
	gkeStore = store("gcs", barmanv1.BarmanCredentials{Google: &barmanv1.GoogleCredentials{GKEEnvironment: true}},
		map[string]string{contract.StoreGCPServiceAccount: "pg@p.iam.gserviceaccount.com"})
	azureStore = store("azure", barmanv1.BarmanCredentials{Azure: &barmanv1.AzureCredentials{InheritFromAzureAD: true}},
		map[string]string{contract.StoreAzureClientID: "client", contract.StoreAzureTenantID: "tenant"})
	keysStore = store("keys", barmanv1.BarmanCredentials{AWS: &barmanv1.S3Credentials{
		AccessKeyIDReference: &barmanv1.SecretKeySelector{LocalObjectReference: barmanv1.LocalObjectReference{Name: "s"}, Key: "k"}}},
		map[string]string{contract.StoreAWSRoleARN: roleARN})
	bareIRSAStore = store("bare", barmanv1.BarmanCredentials{AWS: &barmanv1.S3Credentials{InheritFromIAMRole: true}}, nil)
)

func newSet(objs ...any) *binding.Set {
	s := binding.NewSet()
	for _, o := range objs {
		switch o := o.(type) {
		case *barmanv1.ObjectStore:
			s.AddObjectStore(o)
		case *cnpgv1.Cluster:
			s.AddCluster(o)
		case *corev1.ServiceAccount:
			s.AddServiceAccount(o)
		}
	}
	return s
}

// TestMutate runs the Cluster mutation on JSON as a user would write it and reads the patched result.
func TestMutate(t *testing.T) {
	podIDAndRole := store("podid-role", barmanv1.BarmanCredentials{AWS: &barmanv1.S3Credentials{InheritFromIAMRole: true}},
		map[string]string{contract.StoreAWSPodIdentity: "true", contract.StoreAWSRoleARN: roleARN})
	set := newSet(irsaStore, gkeStore, azureStore, keysStore, podIDAndRole)
	for name, tc := range map[string]struct {
		cluster  string
		want     map[string]string // path-ish "sa:<key>" or "label:<key>" → value after the patch
		warnings []string          // substrings, one per expected warning
		noPatch  bool
	}{
		"IRSA into an absent template": {
			cluster: `{"metadata":{"name":"pg","annotations":{"objectstore-webhook.io/object-store":"aws"}},"spec":{"instances":1}}`,
			want:    map[string]string{"sa:" + contract.AWSRoleARNAnnotation: roleARN},
		},
		"GKE into existing annotations": {
			cluster: `{"metadata":{"name":"pg","annotations":{"objectstore-webhook.io/object-store":"gcs"}},"spec":{"serviceAccountTemplate":{"metadata":{"annotations":{"team":"x"}}}}}`,
			want:    map[string]string{"sa:" + contract.GCPServiceAccountAnnotation: "pg@p.iam.gserviceaccount.com", "sa:team": "x"},
		},
		"Azure: client, tenant and the pod label": {
			cluster: `{"metadata":{"name":"pg","annotations":{"objectstore-webhook.io/object-store":"azure"}},"spec":{"inheritedMetadata":{"annotations":{"a":"b"}}}}`,
			want: map[string]string{"sa:" + contract.AzureClientIDAnnotation: "client",
				"sa:" + contract.AzureTenantIDAnnotation: "tenant", "label:" + contract.AzureUseLabel: "true"},
		},
		"a different value the user wrote is kept": {
			cluster:  `{"metadata":{"name":"pg","annotations":{"objectstore-webhook.io/object-store":"aws"}},"spec":{"serviceAccountTemplate":{"metadata":{"annotations":{"eks.amazonaws.com/role-arn":"arn:aws:iam::1:role/mine"}}}}}`,
			want:     map[string]string{"sa:" + contract.AWSRoleARNAnnotation: "arn:aws:iam::1:role/mine"},
			warnings: []string{"keeps its own eks.amazonaws.com/role-arn"},
			noPatch:  true,
		},
		"the same value is not added twice": {
			cluster: `{"metadata":{"name":"pg","annotations":{"objectstore-webhook.io/object-store":"aws"}},"spec":{"serviceAccountTemplate":{"metadata":{"annotations":{"eks.amazonaws.com/role-arn":"` + roleARN + `"}}}}}`,
			noPatch: true,
		},
		"serviceAccountName: nothing added, a warning": {
			cluster:  `{"metadata":{"name":"pg","annotations":{"objectstore-webhook.io/object-store":"aws"}},"spec":{"serviceAccountName":"backup"}}`,
			warnings: []string{`ServiceAccount "backup" (spec.serviceAccountName) must carry eks.amazonaws.com/role-arn`},
			noPatch:  true,
		},
		"upstream plugin: wired the same way": {
			cluster: `{"metadata":{"name":"pg"},"spec":{"plugins":[{"name":"barman-cloud.cloudnative-pg.io","parameters":{"barmanObjectName":"aws"}}]}}`,
			want:    map[string]string{"sa:" + contract.AWSRoleARNAnnotation: roleARN},
		},
		"store with access keys: its role annotation is ignored": {
			cluster: `{"metadata":{"name":"pg","annotations":{"objectstore-webhook.io/object-store":"keys"}},"spec":{}}`,
			noPatch: true,
		},
		"Pod Identity wins over a role ARN: nothing on the ServiceAccount": {
			cluster: `{"metadata":{"name":"pg","annotations":{"objectstore-webhook.io/object-store":"podid-role"}},"spec":{}}`,
			noPatch: true,
		},
		"Pod Identity with serviceAccountName: no warning": {
			cluster: `{"metadata":{"name":"pg","annotations":{"objectstore-webhook.io/object-store":"podid-role"}},"spec":{"serviceAccountName":"backup"}}`,
			noPatch: true,
		},
		"store missing: nothing": {
			cluster: `{"metadata":{"name":"pg","annotations":{"objectstore-webhook.io/object-store":"nope"}},"spec":{}}`,
			noPatch: true,
		},
		"not opted in": {cluster: `{"metadata":{"name":"pg"},"spec":{}}`, noPatch: true},
	} {
		t.Run(name, func(t *testing.T) {
			ops, warnings, err := Mutate(context.Background(), set, "db", []byte(tc.cluster))
			if err != nil {
				t.Fatal(err)
			}
			if tc.noPatch != (len(ops) == 0) {
				t.Errorf("patch %v, want none: %v", ops, tc.noPatch)
			}
			checkWarnings(t, warnings, tc.warnings)
			out := apply(t, []byte(tc.cluster), ops)
			c, _, err := Decode(out)
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tc.want {
				var got string
				if key, ok := strings.CutPrefix(k, "sa:"); ok && c.Spec.ServiceAccountTemplate != nil {
					got = c.Spec.ServiceAccountTemplate.Metadata.Annotations[key]
				}
				if key, ok := strings.CutPrefix(k, "label:"); ok && c.Spec.InheritedMetadata != nil {
					got = c.Spec.InheritedMetadata.Labels[key]
				}
				if got != v {
					t.Errorf("%s = %q, want %q\n%s", k, got, v, out)
				}
			}
			if !strings.Contains(string(out), `"a":"b"`) && strings.Contains(tc.cluster, `"a":"b"`) {
				t.Error("existing inheritedMetadata lost")
			}
			again, _, err := Mutate(context.Background(), set, "db", out)
			if err != nil || len(again) != 0 {
				t.Errorf("second mutation not empty: %v %v", again, err)
			}
		})
	}
}

func apply(t *testing.T, doc []byte, ops []jsonpatch.Operation) []byte {
	t.Helper()
	for _, op := range ops {
		if op.Operation != "add" {
			t.Errorf("%s operation at %s", op.Operation, op.Path)
		}
	}
	if len(ops) == 0 {
		return doc
	}
	b, err := json.Marshal(ops)
	if err != nil {
		t.Fatal(err)
	}
	p, err := jsonpatch5.DecodePatch(b)
	if err != nil {
		t.Fatal(err)
	}
	out, err := p.Apply(doc)
	if err != nil {
		t.Fatalf("applying %s: %v", b, err)
	}
	return out
}

func checkWarnings(t *testing.T, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("warnings %q, want %d matching %q", got, len(want), want)
		return
	}
	for i := range want {
		if !strings.Contains(got[i], want[i]) {
			t.Errorf("warning %q does not contain %q", got[i], want[i])
		}
		if len(got[i]) > 120 {
			t.Errorf("warning too long (%d): %q", len(got[i]), got[i])
		}
	}
}

func cl(name string, ann map[string]string, spec cnpgv1.ClusterSpec) *cnpgv1.Cluster {
	return &cnpgv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "db", Annotations: ann}, Spec: spec}
}

func uses(store string, extra ...string) map[string]string {
	m := map[string]string{contract.ClusterObjectStore: store}
	for i := 0; i+1 < len(extra); i += 2 {
		m[extra[i]] = extra[i+1]
	}
	return m
}

func TestValidate(t *testing.T) {
	other := cl("other", uses("aws"), cnpgv1.ClusterSpec{})
	upstream := cl("legacy", nil, cnpgv1.ClusterSpec{Plugins: []cnpgv1.PluginConfiguration{{
		Name: contract.UpstreamPluginName, Parameters: map[string]string{"barmanObjectName": "aws", "serverName": "pg"}}}})
	sameDest := store("aws-copy", barmanv1.BarmanCredentials{AWS: &barmanv1.S3Credentials{InheritFromIAMRole: true}}, nil)
	sameDest.Spec.Configuration.DestinationPath = irsaStore.Spec.Configuration.DestinationPath + "/"
	copyUser := cl("copy", uses("aws-copy", contract.ClusterServerName, "pg"), cnpgv1.ClusterSpec{})
	annotated := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "backup", Namespace: "db",
		Annotations: map[string]string{contract.AWSRoleARNAnnotation: roleARN}}}
	podID := store("podid", barmanv1.BarmanCredentials{AWS: &barmanv1.S3Credentials{InheritFromIAMRole: true}},
		map[string]string{contract.StoreAWSPodIdentity: "true"})
	podIDOff := store("podid-off", barmanv1.BarmanCredentials{AWS: &barmanv1.S3Credentials{InheritFromIAMRole: true}},
		map[string]string{contract.StoreAWSPodIdentity: "false"})
	bareGKE := store("bare-gke", barmanv1.BarmanCredentials{Google: &barmanv1.GoogleCredentials{GKEEnvironment: true}}, nil)
	set := newSet(irsaStore, gkeStore, bareIRSAStore, sameDest, other, annotated, podID, podIDOff, bareGKE)
	upstreamScheduled := cl("sched", map[string]string{contract.ClusterBackupSchedule: "@daily"}, cnpgv1.ClusterSpec{Plugins: []cnpgv1.PluginConfiguration{{
		Name: contract.UpstreamPluginName, Parameters: map[string]string{"barmanObjectName": "aws"}}}})

	for name, tc := range map[string]struct {
		old, c   *cnpgv1.Cluster
		set      *binding.Set
		errs     []string
		warnings []string
	}{
		"sound":               {c: cl("pg", uses("aws"), cnpgv1.ClusterSpec{})},
		"store not yet there": {c: cl("pg", uses("later"), cnpgv1.ClusterSpec{}), warnings: []string{`"later" not found`}},
		"server name with a slash": {c: cl("pg", uses("aws", contract.ClusterServerName, "a/b"), cnpgv1.ClusterSpec{}),
			errs: []string{"one path segment"}},
		"server name ..": {c: cl("pg", uses("aws", contract.ClusterServerName, ".."), cnpgv1.ClusterSpec{}),
			errs: []string{"not . or .."}},
		"server name empty": {c: cl("pg", uses("aws", contract.ClusterServerName, ""), cnpgv1.ClusterSpec{}),
			errs: []string{"must not be empty"}},
		"same store, same server name": {c: cl("other2", uses("aws", contract.ClusterServerName, "other"), cnpgv1.ClusterSpec{}),
			errs: []string{"Cluster other already archives"}},
		"same store, own server name": {c: cl("other2", uses("aws"), cnpgv1.ClusterSpec{})},
		"an upstream plugin Cluster counts": {c: cl("pg", uses("aws"), cnpgv1.ClusterSpec{}),
			set: newSet(irsaStore, upstream), errs: []string{"Cluster legacy already archives"}},
		"another store, same destination": {c: cl("pg", uses("aws"), cnpgv1.ClusterSpec{}),
			set: newSet(irsaStore, sameDest, copyUser), errs: []string{"Cluster copy already archives"}},
		"a conflict that predates the update only warns": {
			old:      cl("other2", uses("aws", contract.ClusterServerName, "other"), cnpgv1.ClusterSpec{}),
			c:        cl("other2", uses("aws", contract.ClusterServerName, "other"), cnpgv1.ClusterSpec{Instances: 3}),
			warnings: []string{"Cluster other already archives"}},
		"an update that creates the conflict is denied": {
			old:  cl("other2", uses("aws", contract.ClusterServerName, "mine"), cnpgv1.ClusterSpec{}),
			c:    cl("other2", uses("aws", contract.ClusterServerName, "other"), cnpgv1.ClusterSpec{}),
			errs: []string{"already archives"}},
		"inheritFromIAMRole without any identity": {c: cl("pg", uses("bare"), cnpgv1.ClusterSpec{}),
			warnings: []string{`inheritFromIAMRole, no identity: annotate store "bare" with objectstore-webhook.io/aws-role-arn or aws-pod-identity`}},
		"Pod Identity declared on the store": {c: cl("pg", uses("podid"), cnpgv1.ClusterSpec{})},
		"Pod Identity declared, a named ServiceAccount without a role": {
			c: cl("pg", uses("podid"), cnpgv1.ClusterSpec{ServiceAccountName: "plain"})},
		"Pod Identity annotation not \"true\"": {c: cl("pg", uses("podid-off"), cnpgv1.ClusterSpec{}),
			warnings: []string{"inheritFromIAMRole, no identity"}},
		"GKE without a service account": {c: cl("pg", uses("bare-gke"), cnpgv1.ClusterSpec{}),
			warnings: []string{`gkeEnvironment, no identity: annotate store "bare-gke" with objectstore-webhook.io/gcp-service-account`}},
		"identity in the template": {c: cl("pg", uses("bare"), cnpgv1.ClusterSpec{ServiceAccountTemplate: &cnpgv1.ServiceAccountTemplate{
			Metadata: cnpgv1.Metadata{Annotations: map[string]string{contract.AWSRoleARNAnnotation: roleARN}}}})},
		"identity on the named ServiceAccount": {c: cl("pg", uses("bare"), cnpgv1.ClusterSpec{ServiceAccountName: "backup"})},
		"named ServiceAccount without it": {c: cl("pg", uses("bare"), cnpgv1.ClusterSpec{ServiceAccountName: "plain"}),
			warnings: []string{"no identity"}},
		"backup schedule, 5 fields":                  {c: cl("pg", uses("aws", contract.ClusterBackupSchedule, "0 3 * * *"), cnpgv1.ClusterSpec{})},
		"backup schedule, 6 fields as CloudNativePG": {c: cl("pg", uses("aws", contract.ClusterBackupSchedule, "0 0 3 * * 0"), cnpgv1.ClusterSpec{})},
		"backup schedule, descriptor":                {c: cl("pg", uses("aws", contract.ClusterBackupSchedule, "@daily"), cnpgv1.ClusterSpec{})},
		"backup schedule, 4 fields": {c: cl("pg", uses("aws", contract.ClusterBackupSchedule, "0 3 * *"), cnpgv1.ClusterSpec{}),
			errs: []string{`expected 5 to 6 fields, found 4: [0 3 * *]: write 5 cron fields ("0 3 * * *"), 6 with seconds first`}},
		"backup schedule, hour 25": {c: cl("pg", uses("aws", contract.ClusterBackupSchedule, "0 25 * * *"), cnpgv1.ClusterSpec{}),
			errs: []string{`metadata.annotations[objectstore-webhook.io/backup-schedule]: Invalid value: "0 25 * * *": end of range (25) above maximum (23)`}},
		"backup schedule with a time zone": {c: cl("pg", uses("aws", contract.ClusterBackupSchedule, "TZ=Europe/Paris 0 3 * * *"), cnpgv1.ClusterSpec{}),
			errs: []string{"time zones (TZ=) are not supported, schedules run in UTC"}},
		"max-wal-hold as a quantity": {c: cl("pg", uses("aws", contract.ClusterMaxWALHold, "8Gi"), cnpgv1.ClusterSpec{})},
		"max-wal-hold not a quantity": {c: cl("pg", uses("aws", contract.ClusterMaxWALHold, "8 gigs"), cnpgv1.ClusterSpec{}),
			errs: []string{`metadata.annotations[objectstore-webhook.io/max-wal-hold]: Invalid value: "8 gigs": must be a quantity of bytes such as "8Gi"`}},
		"max-wal-hold negative": {c: cl("pg", uses("aws", contract.ClusterMaxWALHold, "-1Gi"), cnpgv1.ClusterSpec{}),
			errs: []string{"must be a whole, non-negative number of bytes"}},
		"backup schedule, empty": {c: cl("pg", uses("aws", contract.ClusterBackupSchedule, " "), cnpgv1.ClusterSpec{}),
			errs: []string{"omit it for on-demand backups only"}},
		"backup schedule on an upstream plugin Cluster": {c: upstreamScheduled,
			set: newSet(irsaStore), warnings: []string{"backup-schedule is ignored: the Barman Cloud Plugin runs no wal-archiver"}},
		"not opted in": {c: cl("pg", nil, cnpgv1.ClusterSpec{})},
	} {
		t.Run(name, func(t *testing.T) {
			s := set
			if tc.set != nil {
				s = tc.set
			}
			errs, warnings, err := Validate(context.Background(), s, tc.old, tc.c)
			if err != nil {
				t.Fatal(err)
			}
			if len(errs) != len(tc.errs) {
				t.Fatalf("errors %v, want %d matching %q", errs, len(tc.errs), tc.errs)
			}
			for i := range tc.errs {
				if !strings.Contains(errs[i].Error(), tc.errs[i]) {
					t.Errorf("error %q does not contain %q", errs[i].Error(), tc.errs[i])
				}
			}
			checkWarnings(t, warnings, tc.warnings)
		})
	}
}
