package pod

import (
	"strconv"

	"github.com/objectstore-webhook/objectstore-webhook/internal/binding"
	"github.com/objectstore-webhook/objectstore-webhook/internal/contract"
	barmanv1 "github.com/objectstore-webhook/objectstore-webhook/schema/barmancloud/v1"
	cnpgv1 "github.com/objectstore-webhook/objectstore-webhook/schema/cnpg/v1"
)

// SettingValue is one wal-archiver setting and its value; "" means unset (the archiver's default).
type SettingValue struct {
	Setting contract.Setting
	Value   string
}

// StoreSettings is the one source of the wal-archiver settings derived from a Cluster, its binding and
// its ObjectStore: the pod webhook puts the non-empty ones in the sidecar's env and the settings
// controller writes all of them (empty ones too, so that a setting removed from the store is seen as
// removed by a running archiver) into the Cluster's settings ConfigMap. Both read this list, so the two
// cannot drift. It is pure: it reads its arguments and nothing else. Settings that do not depend on the
// Cluster or the store (slot, spool, listen address) are not in it; the env sets them.
func StoreSettings(c *cnpgv1.Cluster, b binding.Binding, store *barmanv1.ObjectStore) ([]SettingValue, error) {
	return appendStoreSettings(nil, c, b, store)
}

// appendStoreSettings is StoreSettings appended to dst, so that the pod webhook's pooled workspace reuses
// one slice from review to review (growing a fresh one was a third of an injection's allocated bytes).
func appendStoreSettings(dst []SettingValue, c *cnpgv1.Cluster, b binding.Binding, store *barmanv1.ObjectStore) ([]SettingValue, error) {
	conf := &store.Spec.Configuration
	if conf.DestinationPath == "" {
		return nil, broken(store, "spec.configuration.destinationPath is empty")
	}
	provider, err := providerOf(store)
	if err != nil {
		return nil, err
	}
	v := storeValues(dst[:0])
	v.set(contract.DestinationPath, conf.DestinationPath)
	v.set(contract.ServerName, b.ServerName)
	v.set(contract.Provider, provider)
	v.set(contract.EndpointURL, conf.EndpointURL)
	v.set(contract.EndpointCAFile, "")
	if conf.EndpointCA != nil {
		v.set(contract.EndpointCAFile, contract.FileEndpointCA)
	}
	var compression, encryption string
	if w := conf.Wal; w != nil {
		compression, encryption = string(w.Compression), string(w.Encryption)
	}
	v.set(contract.Compression, compression)
	v.set(contract.Encryption, encryption)
	v.backups(c, store)
	v.set(contract.Tags, jsonObject(conf.Tags))
	v.set(contract.HistoryTags, jsonObject(conf.HistoryTags))
	v.set(contract.LogLevel, store.Spec.InstanceSidecarConfiguration.LogLevel)
	iamRole, azureCredential := "", ""
	switch {
	case conf.AWS != nil && conf.AWS.InheritFromIAMRole:
		iamRole = "true"
	case conf.Azure != nil && conf.Azure.UseDefaultAzureCredentials:
		azureCredential = "default"
	case conf.Azure != nil && conf.Azure.InheritFromAzureAD:
		azureCredential = "managed-identity"
	}
	v.set(contract.S3IAMRole, iamRole)
	v.set(contract.AzureCredential, azureCredential)
	return v, nil
}

type storeValues []SettingValue

func (v *storeValues) set(st contract.Setting, value string) {
	*v = append(*v, SettingValue{st, value})
}

// backups: the store's base backup and retention settings, and the Cluster's schedule, which only the
// primary's archiver acts on. A schedule the Cluster webhook would refuse (it predates the check, or the
// webhook was off) is left out rather than handed to an archiver that would not start on it.
func (v *storeValues) backups(c *cnpgv1.Cluster, store *barmanv1.ObjectStore) {
	schedule := ""
	if spec := binding.ScheduleOf(c.Annotations); spec != "" && binding.CheckSchedule(spec) == "" {
		schedule = spec
	}
	v.set(contract.BackupSchedule, schedule)
	var compression, jobs, checkpoint, encryption string
	if d := store.Spec.Configuration.Data; d != nil {
		compression, encryption = string(d.Compression), string(d.Encryption)
		if d.Jobs != nil && *d.Jobs > 0 {
			jobs = strconv.Itoa(int(*d.Jobs))
		}
		if d.ImmediateCheckpoint {
			checkpoint = "true"
		}
	}
	v.set(contract.DataCompression, compression)
	v.set(contract.DataJobs, jobs)
	v.set(contract.DataImmediateCheckpoint, checkpoint)
	v.set(contract.DataEncryption, encryption)
	hold := ""
	if raw, set := c.Annotations[contract.ClusterMaxWALHold]; set {
		if n, msg := binding.MaxWALHold(raw); msg == "" && n > 0 {
			hold = strconv.FormatInt(n, 10)
		}
	}
	v.set(contract.MaxWALHold, hold)
	v.set(contract.RetentionPolicy, store.Spec.RetentionPolicy)
	interval := ""
	if n := store.Spec.InstanceSidecarConfiguration.RetentionPolicyIntervalSeconds; n > 0 {
		// The archiver's minimum is a minute; the ObjectStore rule retention-interval warns about less.
		interval = strconv.Itoa(max(n, 60)) + "s"
	}
	v.set(contract.RetentionInterval, interval)
}

// SettingsMap is StoreSettings as the settings file holds it: every setting's variable, empty values
// included, with the store's instanceSidecarConfiguration.env applied the way the env applies it. The
// archiver lets the file win over its environment, so without this an override in the store's env would
// be undone by the file. An override taken from a Secret or field (valueFrom) cannot be written into a
// ConfigMap: its key is left out, and the archiver keeps the env's value for it.
func SettingsMap(c *cnpgv1.Cluster, b binding.Binding, store *barmanv1.ObjectStore) (map[string]string, error) {
	settings, err := StoreSettings(c, b, store)
	if err != nil {
		return nil, err
	}
	m := make(map[string]string, len(settings))
	for _, st := range settings {
		m[st.Setting.Env] = st.Value
	}
	for _, e := range store.Spec.InstanceSidecarConfiguration.Env {
		if _, ours := m[e.Name]; !ours {
			continue
		}
		if e.ValueFrom != nil {
			delete(m, e.Name)
		} else {
			m[e.Name] = e.Value
		}
	}
	return m, nil
}
