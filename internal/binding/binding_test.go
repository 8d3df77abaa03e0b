package binding

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/objectstore-webhook/objectstore-webhook/internal/contract"
	cnpgv1 "github.com/objectstore-webhook/objectstore-webhook/schema/cnpg/v1"
)

func TestBindingOf(t *testing.T) {
	cluster := func(annotations map[string]string, plugins ...cnpgv1.PluginConfiguration) *cnpgv1.Cluster {
		return &cnpgv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "pg", Namespace: "db", Annotations: annotations},
			Spec: cnpgv1.ClusterSpec{Plugins: plugins}}
	}
	plugin := cnpgv1.PluginConfiguration{Name: contract.UpstreamPluginName,
		Parameters: map[string]string{contract.UpstreamPluginObjectStoreParam: "s", contract.UpstreamPluginServerNameParam: "y"}}
	for name, tc := range map[string]struct {
		c    *cnpgv1.Cluster
		want Binding
		ok   bool
	}{
		"annotation":  {cluster(map[string]string{contract.ClusterObjectStore: "s"}), Binding{Store: "s", ServerName: "pg"}, true},
		"server name": {cluster(map[string]string{contract.ClusterObjectStore: "s", contract.ClusterServerName: "x"}), Binding{Store: "s", ServerName: "x"}, true},
		"plugin":      {cluster(nil, plugin), Binding{Store: "s", ServerName: "y", Upstream: true}, true},
		"annotation wins over the plugin": {cluster(map[string]string{contract.ClusterObjectStore: "ours"}, plugin),
			Binding{Store: "ours", ServerName: "pg", Upstream: true}, true},
		"none": {cluster(nil), Binding{}, false},
	} {
		got, ok := BindingOf(tc.c)
		if got != tc.want || ok != tc.ok {
			t.Errorf("%s: %+v %v, want %+v %v", name, got, ok, tc.want, tc.ok)
		}
	}
}

func TestStripServiceAccount(t *testing.T) {
	in := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "a", Namespace: "b",
		Annotations: map[string]string{"k": "v"}, Labels: map[string]string{"l": "v"}},
		Secrets: []corev1.ObjectReference{{Name: "token"}}}
	out, err := StripServiceAccount(in)
	if err != nil {
		t.Fatal(err)
	}
	sa := out.(*corev1.ServiceAccount)
	if sa.Name != "a" || sa.Namespace != "b" || sa.Annotations["k"] != "v" || sa.Labels != nil || sa.Secrets != nil {
		t.Errorf("stripped to %+v", sa)
	}
}
