package v1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// BarmanCloudPluginName is the name under which the upstream Barman Cloud Plugin is listed in
// spec.plugins.
const BarmanCloudPluginName = "barman-cloud.cloudnative-pg.io"

// Cluster is the part of a CloudNativePG Cluster that objectstore-webhook reads. The CRD generated from it
// (for tests only; CloudNativePG installs the real one) keeps every other field.
//
// +kubebuilder:object:root=true
// +kubebuilder:resource:shortName=cluster
type Cluster struct {
	metav1.TypeMeta `json:",inline"`
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +kubebuilder:pruning:PreserveUnknownFields
	// +optional
	Spec ClusterSpec `json:"spec,omitempty"`
	// +kubebuilder:pruning:PreserveUnknownFields
	// +optional
	Status ClusterStatus `json:"status,omitempty"`
}

// ClusterList is a list of Clusters.
//
// +kubebuilder:object:root=true
type ClusterList struct {
	metav1.TypeMeta `json:",inline"`
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Cluster `json:"items"`
}

// ClusterSpec holds the Cluster fields that the webhooks read.
type ClusterSpec struct {
	// Instances is the number of PostgreSQL instances.
	// +optional
	Instances int `json:"instances,omitempty"`

	// ImagePullPolicy of the PostgreSQL image.
	// +optional
	ImagePullPolicy corev1.PullPolicy `json:"imagePullPolicy,omitempty"`

	// ServiceAccountTemplate is the template of the ServiceAccount CloudNativePG creates for the Cluster.
	// +optional
	ServiceAccountTemplate *ServiceAccountTemplate `json:"serviceAccountTemplate,omitempty"`

	// ServiceAccountName names an existing ServiceAccount for the instance pods; exclusive with
	// serviceAccountTemplate.
	// +optional
	ServiceAccountName string `json:"serviceAccountName,omitempty"`

	// InheritedMetadata is copied to every object CloudNativePG creates for the Cluster, pods included.
	// +optional
	InheritedMetadata *EmbeddedObjectMetadata `json:"inheritedMetadata,omitempty"`

	// Certificates names the Secrets holding the Cluster's certificates.
	// +optional
	Certificates *CertificatesConfiguration `json:"certificates,omitempty"`

	// Plugins lists the CNPG-I plugins of the Cluster.
	// +optional
	Plugins []PluginConfiguration `json:"plugins,omitempty"`
}

// ServiceAccountTemplate is the template of the Cluster's ServiceAccount.
type ServiceAccountTemplate struct {
	// Metadata are the metadata to be used for the generated service account.
	// +kubebuilder:pruning:PreserveUnknownFields
	Metadata Metadata `json:"metadata"`
}

// Metadata is the labels and annotations of a generated object.
type Metadata struct {
	// +optional
	Name string `json:"name,omitempty"`
	// +optional
	Labels map[string]string `json:"labels,omitempty"`
	// +optional
	Annotations map[string]string `json:"annotations,omitempty"`
}

// EmbeddedObjectMetadata is what spec.inheritedMetadata holds.
type EmbeddedObjectMetadata struct {
	// +optional
	Labels map[string]string `json:"labels,omitempty"`
	// +optional
	Annotations map[string]string `json:"annotations,omitempty"`
}

// CertificatesConfiguration names the Secrets holding the Cluster's certificates. Empty fields mean the
// operator generated them under its default names.
type CertificatesConfiguration struct {
	// +optional
	ServerCASecret string `json:"serverCASecret,omitempty"`
	// +optional
	ServerTLSSecret string `json:"serverTLSSecret,omitempty"`
	// +optional
	ReplicationTLSSecret string `json:"replicationTLSSecret,omitempty"`
	// +optional
	ClientCASecret string `json:"clientCASecret,omitempty"`
}

// PluginConfiguration is one entry of spec.plugins.
type PluginConfiguration struct {
	Name string `json:"name"`
	// +optional
	Enabled *bool `json:"enabled,omitempty"`
	// +optional
	IsWALArchiver *bool `json:"isWALArchiver,omitempty"`
	// +optional
	Parameters map[string]string `json:"parameters,omitempty"`
}

// ClusterStatus holds the status fields the webhooks read.
type ClusterStatus struct {
	// +optional
	CurrentPrimary string `json:"currentPrimary,omitempty"`
}

// ServiceAccount returns the name of the ServiceAccount the instance pods run as.
func (c *Cluster) ServiceAccount() string {
	if c.Spec.ServiceAccountName != "" {
		return c.Spec.ServiceAccountName
	}
	return c.Name
}

// ReplicationTLSSecret returns the Secret holding the streaming_replica client certificate.
func (c *Cluster) ReplicationTLSSecret() string {
	if c.Spec.Certificates != nil && c.Spec.Certificates.ReplicationTLSSecret != "" {
		return c.Spec.Certificates.ReplicationTLSSecret
	}
	return c.Name + "-replication"
}

// ServerCASecret returns the Secret holding the CA that signed the server certificate, which a replication
// client verifies the server against.
func (c *Cluster) ServerCASecret() string {
	if c.Spec.Certificates != nil && c.Spec.Certificates.ServerCASecret != "" {
		return c.Spec.Certificates.ServerCASecret
	}
	return c.Name + "-ca"
}

// UsesBarmanCloudPlugin reports whether the upstream Barman Cloud Plugin is enabled on the Cluster.
func (c *Cluster) UsesBarmanCloudPlugin() (PluginConfiguration, bool) {
	for _, p := range c.Spec.Plugins {
		if p.Name == BarmanCloudPluginName && (p.Enabled == nil || *p.Enabled) {
			return p, true
		}
	}
	return PluginConfiguration{}, false
}
