// Package settingsctl is the settings controller of `objectstore-webhook serve`: it renders, for every
// Cluster bound to an ObjectStore, the ConfigMap contract.SettingsConfigMapName(cluster) whose
// contract.SettingsKey is the JSON object of the archiver's WAL_ARCHIVER_* settings (pod.SettingsMap, the
// same function the pod webhook's env comes from). The kubelet refreshes the mounted file and wal-archiver
// re-reads it, so an ObjectStore edit reaches running archivers without a pod restart, and the sidecar
// itself keeps no Kubernetes API rights.
package settingsctl
