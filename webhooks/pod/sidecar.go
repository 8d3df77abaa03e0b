package pod

import (
	"fmt"
	"maps"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/objectstore-webhook/objectstore-webhook/internal/binding"
	"github.com/objectstore-webhook/objectstore-webhook/internal/contract"
	barmanv1 "github.com/objectstore-webhook/objectstore-webhook/schema/barmancloud/v1"
	cnpgv1 "github.com/objectstore-webhook/objectstore-webhook/schema/cnpg/v1"
)

// Provider names, the values of contract.Provider.
const (
	ProviderS3     = "s3"
	ProviderAzure  = "azure"
	ProviderGoogle = "google"
)

// PostgreSQLPort is where CloudNativePG's PostgreSQL listens; the archiver shares the pod's network.
const PostgreSQLPort = "5432"

// secretMode keeps mounted secrets unreadable by other users. 0440 and not 0400: files in a secret volume
// belong to root, and the archiver (non-root) reads them through the fsGroup CloudNativePG sets; libpq
// accepts a root-owned key that is group-readable.
const secretMode int32 = 0o440

// sidecar accumulates the archiver's env, mounts and volumes.
type sidecar struct {
	env     []corev1.EnvVar
	mounts  []corev1.VolumeMount
	volumes []corev1.Volume
	args    []string
	conf    barmanv1.InstanceSidecarConfiguration
	// settings is StoreSettings' buffer, reused with the workspace.
	settings []SettingValue
	// inWorkspace: the container is only encoded, then dropped with its workspace, so it may share the
	// store's values instead of copying them.
	inWorkspace bool
}

// newSidecar starts the sidecar of c, in ws when it is not nil.
func newSidecar(c *cnpgv1.Cluster, b binding.Binding, store *barmanv1.ObjectStore, ws *workspace) (*sidecar, error) {
	conf := store.Spec.Configuration
	s := new(sidecar)
	if ws != nil {
		s = &ws.sidecar
		s.inWorkspace = true
	}
	if s.env == nil {
		s.env, s.mounts, s.volumes = make([]corev1.EnvVar, 0, 24), make([]corev1.VolumeMount, 0, 8),
			make([]corev1.Volume, 0, 7)
	}
	s.env, s.mounts, s.volumes, s.args = s.env[:0], s.mounts[:0], s.volumes[:0], s.args[:0]
	s.conf = store.Spec.InstanceSidecarConfiguration
	// The spool and scratch space come first; the rest is added as the store and identity need it.
	s.mounts = append(s.mounts,
		corev1.VolumeMount{Name: PGDataVolume, MountPath: contract.PGDataMount},
		corev1.VolumeMount{Name: contract.VolumeTmp, MountPath: contract.MountTmp})
	s.volumes = append(s.volumes,
		corev1.Volume{Name: contract.VolumeTmp, VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}})
	s.env = append(s.env,
		fieldEnv(contract.EnvPodName, "metadata.name"),
		fieldEnv(contract.EnvNamespace, "metadata.namespace"),
		value(contract.EnvClusterName, c.Name),
	)
	settings, err := appendStoreSettings(s.settings, c, b, store)
	if err != nil {
		return nil, err
	}
	if s.inWorkspace {
		s.settings = settings
	}
	for _, st := range settings {
		s.setting(st.Setting, st.Value)
	}
	if ca := conf.EndpointCA; ca != nil {
		if err := checkRef(store, "spec.configuration.endpointCA", ca); err != nil {
			return nil, err
		}
		s.secretFile(contract.VolumeEndpointCA, contract.MountEndpointCA, ca, "ca.crt")
	}
	s.setting(contract.SlotName, contract.DefaultSlotName)
	s.setting(contract.SpoolDir, contract.DefaultSpoolDir)
	s.setting(contract.ListenAddress, contract.DefaultListenAddress)
	if err := s.credentials(store); err != nil {
		return nil, err
	}
	s.settingsFile(c)
	s.replication(c)
	s.args = append(s.args, s.conf.AdditionalContainerArgs...)
	return s, nil
}

func providerOf(store *barmanv1.ObjectStore) (string, error) {
	conf := store.Spec.Configuration
	var found []string
	if conf.AWS != nil {
		found = append(found, ProviderS3)
	}
	if conf.Azure != nil {
		found = append(found, ProviderAzure)
	}
	if conf.Google != nil {
		found = append(found, ProviderGoogle)
	}
	if len(found) != 1 {
		return "", &Failure{ReasonUnsupportedStore, fmt.Sprintf(
			"ObjectStore %q must set exactly one of s3Credentials, azureCredentials, googleCredentials (has %d)",
			store.Name, len(found))}
	}
	return found[0], nil
}

// secretFile is a credential file the archiver reads from contract.MountCredentials: a key of a Secret the
// store references, named by the standard variable it stands for.
type secretFile struct {
	env, field string
	ref        *barmanv1.SecretKeySelector
}

// credentials mounts the store's Secret references as files of one projected volume, never as env: env
// is fixed when the container starts, files are refreshed by the kubelet, so a rotated key reaches a
// running archiver. Every source is optional, so a missing Secret leaves the sidecar running (and not
// ready, naming it) instead of the whole PostgreSQL pod stuck in ContainerCreating. The archiver needs no
// Kubernetes API rights to read them.
func (s *sidecar) credentials(store *barmanv1.ObjectStore) error {
	conf := store.Spec.Configuration
	var buf [4]secretFile // at most four references per provider: no allocation for the list
	refs := buf[:0]
	switch {
	case conf.AWS != nil:
		a := conf.AWS
		if !a.InheritFromIAMRole {
			refs = append(refs,
				secretFile{contract.EnvAWSAccessKeyID, "s3Credentials.accessKeyId", a.AccessKeyIDReference},
				secretFile{contract.EnvAWSSecretAccessKey, "s3Credentials.secretAccessKey", a.SecretAccessKeyReference},
				secretFile{contract.EnvAWSSessionToken, "s3Credentials.sessionToken", a.SessionToken})
		}
		refs = append(refs, secretFile{contract.EnvAWSRegion, "s3Credentials.region", a.RegionReference})
	case conf.Azure != nil:
		a := conf.Azure
		if !a.UseDefaultAzureCredentials && !a.InheritFromAzureAD {
			refs = append(refs,
				secretFile{contract.EnvAzureConnectionString, "azureCredentials.connectionString", a.ConnectionString},
				secretFile{contract.EnvAzureStorageAccount, "azureCredentials.storageAccount", a.StorageAccount},
				secretFile{contract.EnvAzureStorageKey, "azureCredentials.storageKey", a.StorageKey},
				secretFile{contract.EnvAzureSASToken, "azureCredentials.storageSasToken", a.StorageSasToken})
		}
	case conf.Google != nil:
		if ref := conf.Google.ApplicationCredentials; ref != nil {
			if err := checkRef(store, "spec.configuration.googleCredentials.applicationCredentials", ref); err != nil {
				return err
			}
			s.secretFile(contract.VolumeGoogle, contract.MountGoogle, ref, "credentials.json")
			s.env = append(s.env, value(contract.EnvGoogleCredentials, contract.FileGoogle))
		}
	}
	// One source per Secret, its keys as items in the order the store lists them.
	var sources []corev1.VolumeProjection
	if len(refs) > 0 {
		sources = make([]corev1.VolumeProjection, 0, len(refs))
	}
	for _, r := range refs {
		if r.ref == nil {
			continue
		}
		if err := checkRef(store, "spec.configuration."+r.field, r.ref); err != nil {
			return err
		}
		item := corev1.KeyToPath{Key: r.ref.Key, Path: r.env}
		found := false
		for i := range sources {
			if src := sources[i].Secret; src.Name == r.ref.Name {
				src.Items = append(src.Items, item)
				found = true
				break
			}
		}
		if !found {
			items := make([]corev1.KeyToPath, 1, len(refs))
			items[0] = item
			sources = append(sources, corev1.VolumeProjection{Secret: &corev1.SecretProjection{
				LocalObjectReference: corev1.LocalObjectReference{Name: r.ref.Name},
				Items:                items, Optional: ptr.To(true)}})
		}
	}
	if len(sources) == 0 {
		return nil
	}
	s.volumes = append(s.volumes, corev1.Volume{Name: contract.VolumeCredentials, VolumeSource: corev1.VolumeSource{
		Projected: &corev1.ProjectedVolumeSource{Sources: sources, DefaultMode: ptr.To(secretMode)}}})
	s.mounts = append(s.mounts, corev1.VolumeMount{Name: contract.VolumeCredentials,
		MountPath: contract.MountCredentials, ReadOnly: true})
	s.setting(contract.CredentialsDir, contract.MountCredentials)
	return nil
}

// settingsFile mounts the Cluster's settings ConfigMap, which the settings controller renders from the
// current ObjectStore with StoreSettings, the same function the env above comes from. It is optional: a
// pod injected before the controller rendered it (or with the controller off) runs on the env.
func (s *sidecar) settingsFile(c *cnpgv1.Cluster) {
	s.volumes = append(s.volumes, corev1.Volume{Name: contract.VolumeSettings, VolumeSource: corev1.VolumeSource{
		ConfigMap: &corev1.ConfigMapVolumeSource{
			LocalObjectReference: corev1.LocalObjectReference{Name: contract.SettingsConfigMapName(c.Name)},
			Optional:             ptr.To(true)}}})
	s.mounts = append(s.mounts, corev1.VolumeMount{Name: contract.VolumeSettings,
		MountPath: contract.MountSettings, ReadOnly: true})
	s.setting(contract.SettingsFile, contract.FileSettings)
}

// replication lets the archiver connect to the local PostgreSQL as streaming_replica with the Cluster's
// client certificate, verifying the server against the Cluster's CA.
func (s *sidecar) replication(c *cnpgv1.Cluster) {
	s.env = append(s.env,
		value(contract.EnvPGHost, "localhost"),
		value(contract.EnvPGPort, PostgreSQLPort),
		value(contract.EnvPGUser, contract.ReplicationUser),
		value(contract.EnvPGSSLMode, "verify-ca"),
		value(contract.EnvPGSSLCert, contract.FileReplicationCrt),
		value(contract.EnvPGSSLKey, contract.FileReplicationKey),
		value(contract.EnvPGSSLRootCert, contract.FileServerCA),
	)
	s.secretVolume(contract.VolumeReplication, contract.MountReplication, c.ReplicationTLSSecret(),
		corev1.KeyToPath{Key: "tls.crt", Path: "tls.crt"}, corev1.KeyToPath{Key: "tls.key", Path: "tls.key"})
	s.secretVolume(contract.VolumeServerCA, contract.MountServerCA, c.ServerCASecret(),
		corev1.KeyToPath{Key: "ca.crt", Path: "ca.crt"})
}

func (s *sidecar) secretFile(volume, mount string, ref *barmanv1.SecretKeySelector, file string) {
	s.secretVolume(volume, mount, ref.Name, corev1.KeyToPath{Key: ref.Key, Path: file})
}

func (s *sidecar) secretVolume(volume, mount, secret string, items ...corev1.KeyToPath) {
	s.volumes = append(s.volumes, corev1.Volume{Name: volume, VolumeSource: corev1.VolumeSource{
		Secret: &corev1.SecretVolumeSource{SecretName: secret, Items: items, DefaultMode: ptr.To(secretMode),
			// Optional: a Secret that is missing (not yet issued, deleted) keeps the archiver up and
			// reporting it, rather than holding the PostgreSQL container in ContainerCreating.
			Optional: ptr.To(true)}}})
	s.mounts = append(s.mounts, corev1.VolumeMount{Name: volume, MountPath: mount, ReadOnly: true})
}

// setting adds a wal-archiver setting; empty values are left to the archiver's defaults.
func (s *sidecar) setting(st contract.Setting, v string) {
	if v != "" {
		s.env = append(s.env, value(st.Env, v))
	}
}

// build returns the container and the volumes it needs. The store's env comes last and replaces ours of
// the same name, so that a user can override a setting without a duplicate variable.
func (s *sidecar) build(opts Options) (corev1.Container, []corev1.Volume) {
	env := s.env
	for _, e := range s.conf.Env {
		replaced := false
		for i := range env {
			if env[i].Name == e.Name {
				env[i] = *e.DeepCopy()
				replaced = true
			}
		}
		if !replaced {
			env = append(env, *e.DeepCopy())
		}
	}
	mounts, volumes := s.mounts, s.volumes
	health := corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{
		Path: "/healthz", Port: intstr.FromInt32(contract.DefaultPort)}}
	c := corev1.Container{
		Name:            contract.SidecarName,
		Image:           opts.Image,
		ImagePullPolicy: opts.PullPolicy,
		Command:         []string{"wal-archiver", "stream"},
		Args:            s.args,
		Env:             env,
		Ports: []corev1.ContainerPort{{
			Name: contract.PortName, ContainerPort: contract.DefaultPort, Protocol: corev1.ProtocolTCP}},
		VolumeMounts: mounts,
		StartupProbe: &corev1.Probe{ProbeHandler: health, PeriodSeconds: 2, FailureThreshold: 30,
			TimeoutSeconds: 5},
		LivenessProbe: &corev1.Probe{ProbeHandler: health, PeriodSeconds: 10, FailureThreshold: 3,
			TimeoutSeconds: 5},
		SecurityContext: &corev1.SecurityContext{
			RunAsNonRoot:             ptr.To(true),
			ReadOnlyRootFilesystem:   ptr.To(true),
			AllowPrivilegeEscalation: ptr.To(false),
			Privileged:               ptr.To(false),
			Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
			SeccompProfile:           &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
		},
		TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError,
	}
	if s.inWorkspace {
		c.Resources = s.conf.Resources // read by the encoder only; the store is not changed
	} else {
		s.conf.Resources.DeepCopyInto(&c.Resources)
	}
	return c, volumes
}

func checkRef(store *barmanv1.ObjectStore, field string, ref *barmanv1.SecretKeySelector) error {
	if ref.Name == "" || ref.Key == "" {
		return broken(store, field+" must name a Secret and a key")
	}
	return nil
}

func broken(store *barmanv1.ObjectStore, msg string) error {
	return &Failure{ReasonBrokenReference, fmt.Sprintf("ObjectStore %q: %s", store.Name, msg)}
}

func value(name, v string) corev1.EnvVar { return corev1.EnvVar{Name: name, Value: v} }

func fieldEnv(name, path string) corev1.EnvVar {
	return corev1.EnvVar{Name: name, ValueFrom: &corev1.EnvVarSource{
		FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: path}}}
}

// jsonObject renders tags as the JSON object wal-archiver reads; empty for no tags.
func jsonObject(tags map[string]string) string {
	if len(tags) == 0 {
		return ""
	}
	// As json.Marshal writes a map: keys sorted.
	b := []byte{'{'}
	for i, k := range slices.Sorted(maps.Keys(tags)) {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, ':')
		b = appendString(b, tags[k])
	}
	return string(append(b, '}'))
}
