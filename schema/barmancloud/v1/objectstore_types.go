package v1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ObjectStore says where a PostgreSQL cluster's backups and WAL go, and with which credentials.
//
// +genclient
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:storageversion
type ObjectStore struct {
	metav1.TypeMeta `json:",inline"`
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Specification of the desired behavior of the ObjectStore.
	Spec ObjectStoreSpec `json:"spec"`
	// +optional
	Status ObjectStoreStatus `json:"status,omitempty"`
}

// ObjectStoreList is a list of ObjectStores.
//
// +kubebuilder:object:root=true
type ObjectStoreList struct {
	metav1.TypeMeta `json:",inline"`
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ObjectStore `json:"items"`
}

// ObjectStoreSpec is the desired state of an ObjectStore.
type ObjectStoreSpec struct {
	// The configuration for the barman-cloud tool suite.
	// +kubebuilder:validation:XValidation:rule="!has(self.serverName)",fieldPath=".serverName",reason="FieldValueForbidden",message="use the 'serverName' plugin parameter in the Cluster resource"
	Configuration BarmanObjectStoreConfiguration `json:"configuration"`

	// RetentionPolicy is the retention policy to be used for backups and WALs (i.e. '60d'). It is expressed
	// in the form of `XXu` where `XX` is a positive integer and `u` is in `[dwm]` - days, weeks, months.
	// +kubebuilder:validation:Pattern=^[1-9][0-9]*[dwm]$
	// +optional
	RetentionPolicy string `json:"retentionPolicy,omitempty"`

	// The configuration for the sidecar that runs in the instance pods.
	// +optional
	InstanceSidecarConfiguration InstanceSidecarConfiguration `json:"instanceSidecarConfiguration,omitempty"`
}

// InstanceSidecarConfiguration defines the configuration for the sidecar that runs in the instance pods.
type InstanceSidecarConfiguration struct {
	// The environment to be explicitly passed to the sidecar.
	// +optional
	Env []corev1.EnvVar `json:"env,omitempty"`

	// The retentionCheckInterval defines the frequency at which the system checks and enforces retention
	// policies.
	// +kubebuilder:default:=1800
	// +optional
	RetentionPolicyIntervalSeconds int `json:"retentionPolicyIntervalSeconds,omitempty"`

	// Resources define cpu/memory requests and limits for the sidecar that runs in the instance pods.
	// +optional
	Resources corev1.ResourceRequirements `json:"resources,omitempty"`

	// AdditionalContainerArgs is an optional list of command-line arguments to be passed to the sidecar
	// container when it starts.
	// +kubebuilder:validation:XValidation:rule="!self.exists(a, a.startsWith('--log-level'))",reason="FieldValueForbidden",message="do not set --log-level in additionalContainerArgs; use spec.instanceSidecarConfiguration.logLevel"
	// +optional
	AdditionalContainerArgs []string `json:"additionalContainerArgs,omitempty"`

	// The log level for PostgreSQL instances. Valid values are: `error`, `warning`, `info` (default),
	// `debug`, `trace`.
	// +kubebuilder:default:=info
	// +kubebuilder:validation:Enum:=error;warning;info;debug;trace
	// +optional
	LogLevel string `json:"logLevel,omitempty"`
}

// ObjectStoreStatus is the observed state of an ObjectStore, written by the instance sidecars.
type ObjectStoreStatus struct {
	// ServerRecoveryWindow maps each server to its recovery window.
	// +optional
	ServerRecoveryWindow map[string]RecoveryWindow `json:"serverRecoveryWindow,omitempty"`
}

// RecoveryWindow represents the time span between the first recoverability point and the last successful
// backup of a PostgreSQL server.
type RecoveryWindow struct {
	// The first recoverability point in a PostgreSQL server refers to the earliest point in time to which
	// the database can be restored.
	// +optional
	FirstRecoverabilityPoint *metav1.Time `json:"firstRecoverabilityPoint,omitempty"`
	// The last successful backup time.
	// +optional
	LastSuccessfulBackupTime *metav1.Time `json:"lastSuccessfulBackupTime,omitempty"`
	// The last failed backup time.
	// +optional
	LastFailedBackupTime *metav1.Time `json:"lastFailedBackupTime,omitempty"`
}
