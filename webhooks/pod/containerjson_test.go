package pod

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	barmanv1 "github.com/objectstore-webhook/objectstore-webhook/schema/barmancloud/v1"
	cnpgv1 "github.com/objectstore-webhook/objectstore-webhook/schema/cnpg/v1"
)

// TestContainerJSON holds appendContainer to json.Marshal for the sidecar of every golden case and for
// variations that set each field the sidecar leaves empty or takes another shape of.
func TestContainerJSON(t *testing.T) {
	inputs, err := filepath.Glob("testdata/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var sidecars []corev1.Container
	for _, in := range inputs {
		if strings.HasSuffix(in, ".injected.yaml") {
			continue
		}
		name := strings.TrimSuffix(filepath.Base(in), ".yaml")
		raw, set := loadCase(t, in)
		p, _, err := Decode(raw)
		if err != nil {
			t.Fatal(err)
		}
		injector := &Injector{Lookup: set, Options: testOptions(name)}
		add, _, _ := injector.plan(context.Background(), "db", p, nil)
		sidecars = append(sidecars, add.InitContainers...)
		sidecars = append(sidecars, add.Containers...)
	}
	if len(sidecars) < 5 {
		t.Fatalf("only %d sidecars planned from testdata", len(sidecars))
	}
	base := sidecars[0]
	for _, vary := range containerVariations() {
		c := *base.DeepCopy()
		vary(&c)
		sidecars = append(sidecars, c)
	}
	sidecars = append(sidecars, corev1.Container{}, corev1.Container{Name: "<&>\u2028é\xff\"\\"})
	for i := range sidecars {
		assertContainerJSON(t, &sidecars[i])
	}
}

func assertContainerJSON(t *testing.T, c *corev1.Container) {
	t.Helper()
	want, wantErr := json.Marshal(c)
	got, err := appendContainer(nil, c)
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("error %v, json.Marshal's %v", err, wantErr)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("appendContainer wrote\n%s\njson.Marshal\n%s", got, want)
	}
}

func containerVariations() []func(*corev1.Container) {
	str := "a<b>&\"c\"\\\n\u00e9"
	return []func(*corev1.Container){
		func(c *corev1.Container) { c.Image, c.Command, c.Args, c.WorkingDir = "", nil, []string{}, "/w" },
		func(c *corev1.Container) {
			c.Ports = append(c.Ports, corev1.ContainerPort{HostPort: 1, ContainerPort: 0, HostIP: "::1"},
				corev1.ContainerPort{Name: str, Protocol: corev1.ProtocolUDP})
		},
		func(c *corev1.Container) {
			c.EnvFrom = []corev1.EnvFromSource{{Prefix: "P", ConfigMapRef: &corev1.ConfigMapEnvSource{}}}
			c.Env = append(c.Env, corev1.EnvVar{Name: str, Value: str},
				corev1.EnvVar{Name: "f", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{}}},
				corev1.EnvVar{Name: "s", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{}}},
				corev1.EnvVar{Name: "o", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
					Key: "k", Optional: ptr.To(false)}}},
				corev1.EnvVar{Name: "r", ValueFrom: &corev1.EnvVarSource{
					ResourceFieldRef: &corev1.ResourceFieldSelector{Resource: "limits.cpu"}}},
				corev1.EnvVar{Name: "e", ValueFrom: &corev1.EnvVarSource{}})
		},
		func(c *corev1.Container) { c.Env = []corev1.EnvVar{} },
		func(c *corev1.Container) {
			c.Resources.Limits = corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("1Gi")}
			c.Resources.Requests = corev1.ResourceList{}
		},
		func(c *corev1.Container) { c.Resources.Claims = []corev1.ResourceClaim{{Name: "gpu"}} },
		func(c *corev1.Container) {
			c.Resources.Limits = corev1.ResourceList{"b": resource.MustParse("1e3"), "a<": resource.MustParse("0.5"),
				"c": {}, "hugepages-2Mi": resource.MustParse("1.5Gi"), "é": *resource.NewMilliQuantity(-7, resource.DecimalSI)}
			c.Resources.Requests = corev1.ResourceList{"x": *resource.NewQuantity(1<<40, resource.BinarySI)}
		},
		func(c *corev1.Container) { c.Resources = corev1.ResourceRequirements{} },
		func(c *corev1.Container) {
			c.ResizePolicy = []corev1.ContainerResizePolicy{{ResourceName: "cpu", RestartPolicy: "NotRequired"}}
			c.RestartPolicy = ptr.To(corev1.ContainerRestartPolicy(str))
			c.RestartPolicyRules = []corev1.ContainerRestartRule{{Action: "Restart"}}
		},
		func(c *corev1.Container) {
			c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: str, SubPath: "s", SubPathExpr: "$(x)",
				RecursiveReadOnly: ptr.To(corev1.RecursiveReadOnlyEnabled),
				MountPropagation:  ptr.To(corev1.MountPropagationBidirectional), BindMountOptions: []string{"x"}})
			c.VolumeDevices = []corev1.VolumeDevice{{Name: "d", DevicePath: "/dev/x"}}
		},
		func(c *corev1.Container) {
			c.ReadinessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{
				Port: intstr.FromString(str), Host: "h", Scheme: corev1.URISchemeHTTPS}},
				InitialDelaySeconds: -1, SuccessThreshold: 1, TerminationGracePeriodSeconds: ptr.To(int64(7))}
			c.LivenessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{
				HTTPHeaders: []corev1.HTTPHeader{{Name: "a", Value: "b"}}}}}
			c.StartupProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{
				Exec: &corev1.ExecAction{Command: []string{"true"}}}}
		},
		func(c *corev1.Container) {
			c.StartupProbe = &corev1.Probe{}
			c.LivenessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{
				Port: intstr.IntOrString{Type: 7}}}}
			c.ReadinessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{
				Protocol: ptr.To(corev1.HTTPProtocol("x"))}}}
		},
		func(c *corev1.Container) {
			c.Lifecycle = &corev1.Lifecycle{StopSignal: ptr.To(corev1.SIGTERM)}
			c.TerminationMessagePath, c.TerminationMessagePolicy, c.ImagePullPolicy = str, "", ""
			c.Stdin, c.StdinOnce, c.TTY = true, true, true
		},
		func(c *corev1.Container) {
			c.SecurityContext = &corev1.SecurityContext{Capabilities: &corev1.Capabilities{},
				RunAsUser: ptr.To(int64(-5)), RunAsGroup: ptr.To(int64(0)), ProcMount: ptr.To(corev1.UnmaskedProcMount),
				SeccompProfile: &corev1.SeccompProfile{LocalhostProfile: ptr.To(str)}}
		},
		func(c *corev1.Container) {
			c.SecurityContext = &corev1.SecurityContext{Capabilities: &corev1.Capabilities{Add: []corev1.Capability{"NET_ADMIN"}}}
		},
		func(c *corev1.Container) {
			c.SecurityContext = &corev1.SecurityContext{Capabilities: &corev1.Capabilities{
				Add: []corev1.Capability{"A"}, Drop: []corev1.Capability{"B", "C"}}}
		},
		func(c *corev1.Container) { c.SecurityContext = &corev1.SecurityContext{} },
		func(c *corev1.Container) {
			c.SecurityContext = &corev1.SecurityContext{Privileged: ptr.To(true),
				SELinuxOptions: &corev1.SELinuxOptions{User: "u"}}
		},
		func(c *corev1.Container) {
			c.SecurityContext = &corev1.SecurityContext{AppArmorProfile: &corev1.AppArmorProfile{Type: "x"}}
		},
	}
}

// FuzzContainerJSON holds appendContainer and appendVolume to json.Marshal for arbitrary strings and
// numbers in the fields they write by hand, with flags choosing which optional fields are set.
//
//	go test ./webhooks/pod -run '^$' -fuzz FuzzContainerJSON -fuzztime 60s
func FuzzContainerJSON(f *testing.F) {
	f.Add("wal-archiver", "v", int32(9187), int64(5), uint32(0))
	f.Add("<a&b>", "\xff\u2028", int32(-1), int64(-7), uint32(0xffffffff))
	f.Add("", "", int32(0), int64(0), uint32(0x5555))
	f.Add("cpu", "1.5Gi", int32(3), int64(1), uint32(1<<30|1<<13|1<<23))
	f.Fuzz(func(t *testing.T, s, v string, n int32, m int64, flags uint32) {
		on := func(bit int) bool { return flags&(1<<bit) != 0 }
		c := corev1.Container{Name: s, Image: v, WorkingDir: s, TerminationMessagePath: v,
			TerminationMessagePolicy: corev1.TerminationMessagePolicy(s), ImagePullPolicy: corev1.PullPolicy(v),
			Stdin: on(0), StdinOnce: on(1), TTY: on(2)}
		if on(3) {
			c.Command, c.Args = []string{s, v}, []string{v}
		}
		if on(4) {
			c.Ports = []corev1.ContainerPort{{Name: s, HostPort: n, ContainerPort: n, Protocol: corev1.Protocol(v), HostIP: s}}
		}
		if on(5) {
			c.Env = []corev1.EnvVar{{Name: s, Value: v},
				{Name: v, ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{APIVersion: s, FieldPath: v}}},
				{Name: v, ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
					LocalObjectReference: corev1.LocalObjectReference{Name: s}, Key: v}}}}
		}
		if on(6) {
			c.RestartPolicy = ptr.To(corev1.ContainerRestartPolicy(v))
		}
		if on(7) {
			c.VolumeMounts = []corev1.VolumeMount{{Name: s, ReadOnly: on(8), MountPath: v, SubPath: s, SubPathExpr: v}}
			if on(9) {
				c.VolumeMounts[0].RecursiveReadOnly = ptr.To(corev1.RecursiveReadOnlyMode(s))
				c.VolumeMounts[0].MountPropagation = ptr.To(corev1.MountPropagationMode(v))
				c.VolumeMounts[0].BindMountOptions = []string{s}
			}
		}
		if on(10) {
			port := intstr.FromInt32(n)
			if on(11) {
				port = intstr.FromString(s)
			}
			probe := &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{
				Path: s, Port: port, Host: v, Scheme: corev1.URIScheme(s)}},
				InitialDelaySeconds: n, TimeoutSeconds: n + 1, PeriodSeconds: -n, SuccessThreshold: n / 2,
				FailureThreshold: n / 3}
			if on(12) {
				probe.TerminationGracePeriodSeconds = &m
			}
			c.LivenessProbe, c.StartupProbe = probe, probe
		}
		if on(13) {
			sc := &corev1.SecurityContext{}
			bools := []**bool{&sc.Privileged, &sc.RunAsNonRoot, &sc.ReadOnlyRootFilesystem, &sc.AllowPrivilegeEscalation}
			for i, p := range bools {
				if on(14 + i) {
					*p = ptr.To(on(18 + i))
				}
			}
			if on(22) {
				sc.RunAsUser, sc.RunAsGroup = &m, ptr.To(int64(n))
			}
			if on(23) {
				sc.Capabilities = &corev1.Capabilities{Drop: []corev1.Capability{corev1.Capability(s)}}
				if on(24) {
					sc.Capabilities.Add = []corev1.Capability{corev1.Capability(v)}
				}
			}
			if on(25) {
				sc.ProcMount = ptr.To(corev1.ProcMountType(v))
			}
			if on(26) {
				sc.SeccompProfile = &corev1.SeccompProfile{Type: corev1.SeccompProfileType(s)}
				if on(27) {
					sc.SeccompProfile.LocalhostProfile = &v
				}
			}
			c.SecurityContext = sc
		}
		if on(30) {
			if q, err := resource.ParseQuantity(v); err == nil {
				c.Resources.Limits = corev1.ResourceList{corev1.ResourceName(s): q, "memory": q}
			}
		}
		assertContainerJSON(t, &c)

		var sc sidecar
		sc.secretVolume(s, v, v, corev1.KeyToPath{Key: s, Path: v})
		sc.tokenVolume(v, s, s, v, m)
		sc.settingsFile(&cnpgv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: s}})
		// The credentials volume as credentials() builds it, with fuzzed Secret names and keys.
		store := &barmanv1.ObjectStore{}
		store.Spec.Configuration.AWS = &barmanv1.S3Credentials{
			AccessKeyIDReference:     &barmanv1.SecretKeySelector{LocalObjectReference: barmanv1.LocalObjectReference{Name: s + "x"}, Key: v + "y"},
			SecretAccessKeyReference: &barmanv1.SecretKeySelector{LocalObjectReference: barmanv1.LocalObjectReference{Name: v + "x"}, Key: s + "y"},
		}
		if err := sc.credentials(store); err != nil {
			t.Fatal(err)
		}
		if on(28) {
			sc.volumes[0].Secret.Items[0].Mode, sc.volumes[0].Secret.Optional = &n, ptr.To(on(29))
			sc.volumes[1].Projected.DefaultMode, sc.volumes[1].Projected.Sources[0].ServiceAccountToken.ExpirationSeconds = &n, nil
		}
		for i := range sc.volumes {
			want, err := json.Marshal(&sc.volumes[i])
			if err != nil {
				t.Fatal(err)
			}
			if got, err := appendVolume(nil, &sc.volumes[i]); err != nil || !bytes.Equal(got, want) {
				t.Fatalf("appendVolume wrote\n%s (%v)\njson.Marshal\n%s", got, err, want)
			}
		}
	})
}

// TestVolumeJSON holds appendVolume to json.Marshal for the volumes of every shape the sidecar adds and
// for the shapes it leaves to json.Marshal.
func TestVolumeJSON(t *testing.T) {
	str := "a<b>&\"c\"\\\n\u00e9"
	vols := []corev1.Volume{
		{Name: str},
		{Name: "e", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
		{Name: "m", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{Medium: "Memory"}}},
		{Name: "s", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{}}},
		{Name: "s", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{Items: []corev1.KeyToPath{}}}},
		{Name: "s", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: str,
			Items:       []corev1.KeyToPath{{Key: str, Path: "p", Mode: ptr.To(int32(0o400))}, {}},
			DefaultMode: ptr.To(secretMode), Optional: ptr.To(true)}}},
		{Name: "s", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{Optional: ptr.To(false)}}},
		{Name: "s", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{DefaultUser: ptr.To(int64(1))}}},
		{Name: "s", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{
			Items: []corev1.KeyToPath{{Key: "k", User: ptr.To(int64(1))}}}}},
		{Name: "p", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{}}},
		{Name: "p", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
			Sources: []corev1.VolumeProjection{}, DefaultMode: ptr.To(int32(-1))}}},
		{Name: "p", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
			Sources: []corev1.VolumeProjection{
				{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Audience: str, ExpirationSeconds: ptr.To(int64(3600)), Path: "t"}},
				{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{}}}}}},
		{Name: "p", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
			Sources: []corev1.VolumeProjection{{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{User: ptr.To(int64(1))}}}}}},
		{Name: "p", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
			Sources: []corev1.VolumeProjection{{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{},
				Secret: &corev1.SecretProjection{}}}}}},
		{Name: "p", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
			Sources: []corev1.VolumeProjection{{}}}}},
		{Name: "p", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{DefaultUser: ptr.To(int64(2))}}},
		// The credentials volume: projected Secrets, optional, with and without names and items.
		{Name: "c", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
			Sources: []corev1.VolumeProjection{
				{Secret: &corev1.SecretProjection{LocalObjectReference: corev1.LocalObjectReference{Name: str},
					Items:    []corev1.KeyToPath{{Key: str, Path: "AWS_ACCESS_KEY_ID"}, {Key: "k", Path: str, Mode: ptr.To(int32(0o400))}},
					Optional: ptr.To(true)}},
				{Secret: &corev1.SecretProjection{}},
				{Secret: &corev1.SecretProjection{Items: []corev1.KeyToPath{}, Optional: ptr.To(false)}},
				{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Path: "t"}}},
			DefaultMode: ptr.To(secretMode)}}},
		{Name: "c", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
			Sources: []corev1.VolumeProjection{{Secret: &corev1.SecretProjection{
				Items: []corev1.KeyToPath{{Key: "k", User: ptr.To(int64(1))}}}}}}}},
		{Name: "c", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
			Sources: []corev1.VolumeProjection{{Secret: &corev1.SecretProjection{},
				ConfigMap: &corev1.ConfigMapProjection{}}}}}},
		// The settings volume: a ConfigMap, optional.
		{Name: "cm", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{}}},
		{Name: "cm", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
			LocalObjectReference: corev1.LocalObjectReference{Name: str}, Optional: ptr.To(true)}}},
		{Name: "cm", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
			Items: []corev1.KeyToPath{{Key: str, Path: str, Mode: ptr.To(int32(-1))}, {}}, DefaultMode: ptr.To(int32(0o644)),
			Optional: ptr.To(false)}}},
		{Name: "cm", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{DefaultUser: ptr.To(int64(1))}}},
		{Name: "cm", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
			Items: []corev1.KeyToPath{{Key: "k", User: ptr.To(int64(1))}}}}},
		{Name: "two", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{},
			Secret: &corev1.SecretVolumeSource{}}},
		{Name: "h", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/"}}},
	}
	var s sidecar
	s.tokenVolume("aws", "/m", "token", AWSDefaultAudience, AWSDefaultTokenExpiration)
	s.secretVolume("r", "/r", "sec", corev1.KeyToPath{Key: "tls.crt", Path: "tls.crt"})
	s.settingsFile(&cnpgv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: str}})
	vols = append(vols, s.volumes...)
	for i := range vols {
		want, err := json.Marshal(&vols[i])
		if err != nil {
			t.Fatal(err)
		}
		got, err := appendVolume([]byte("x"), &vols[i])
		if err != nil || !bytes.Equal(got[1:], want) {
			t.Errorf("appendVolume wrote\n%s (%v)\njson.Marshal\n%s", got[1:], err, want)
		}
	}
}

// TestRecordString holds the injected annotation and the tag settings to json.Marshal.
func TestRecordString(t *testing.T) {
	str := "a<b>&\"c\"\\\n\u00e9\xff"
	for _, r := range []record{
		{}, {Hash: "sha256:0123"}, {InitContainers: []string{}, Volumes: []string{"a", str}, Hash: str},
		{InitContainers: []string{"x"}, Containers: []string{"y", "z"}, Volumes: []string{"v"}},
	} {
		want, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		if got := r.String(); got != string(want) {
			t.Errorf("record.String() = %s, json.Marshal %s", got, want)
		}
	}
	for _, tags := range []map[string]string{
		{"a": "b"}, {"z": "", "": "y", str: str, "m": "<>", "b": "é"},
	} {
		want, err := json.Marshal(tags)
		if err != nil {
			t.Fatal(err)
		}
		if got := jsonObject(tags); got != string(want) {
			t.Errorf("jsonObject = %s, json.Marshal %s", got, want)
		}
	}
}
