package binding

import (
	"strings"

	"github.com/objectstore-webhook/objectstore-webhook/internal/contract"
	barmanv1 "github.com/objectstore-webhook/objectstore-webhook/schema/barmancloud/v1"
	cnpgv1 "github.com/objectstore-webhook/objectstore-webhook/schema/cnpg/v1"
)

// Binding is which ObjectStore a Cluster archives to, and under which server name.
type Binding struct {
	// Store is the ObjectStore's name, in the Cluster's namespace.
	Store string
	// ServerName is the folder under the store's destination path.
	ServerName string
	// Upstream is true when the Cluster uses the Barman Cloud Plugin: its identity is wired like ours,
	// but the plugin runs its own sidecar, so no archiver is ever injected.
	Upstream bool
}

// BindingOf returns the Cluster's binding, and false when the Cluster archives to no ObjectStore that
// objectstore-webhook knows about. Our annotation wins over the plugin's parameters.
func BindingOf(c *cnpgv1.Cluster) (Binding, bool) {
	var b Binding
	plugin, upstream := c.UsesBarmanCloudPlugin()
	if upstream {
		b.Upstream = true
		b.Store = plugin.Parameters[contract.UpstreamPluginObjectStoreParam]
		b.ServerName = plugin.Parameters[contract.UpstreamPluginServerNameParam]
	}
	if name := c.Annotations[contract.ClusterObjectStore]; name != "" {
		b.Store = name
		b.ServerName = ""
	}
	if b.Store == "" {
		return Binding{}, false
	}
	if name, ok := c.Annotations[contract.ClusterServerName]; ok {
		b.ServerName = name
	}
	if b.ServerName == "" {
		b.ServerName = c.Name
	}
	return b, true
}

// Identity is the cloud identity an ObjectStore is reached with, from its annotations, kept only for the
// credential mode the store actually uses (a role ARN on a store with access keys would be ignored by the
// archiver and only confuse the EKS webhook).
type Identity struct {
	AWSRoleARN string
	// AWSPodIdentity: an EKS Pod Identity association serves the ServiceAccount. Nothing goes on the
	// ServiceAccount for it; the EKS webhook and the pod webhook inject the agent's variables.
	AWSPodIdentity    bool
	GCPServiceAccount string
	AzureClientID     string
	AzureTenantID     string
}

// Empty reports whether no identity is declared.
func (i Identity) Empty() bool { return i == Identity{} }

// IdentityOf returns the identity the store declares for the credential mode it uses.
func IdentityOf(store *barmanv1.ObjectStore) Identity {
	var id Identity
	if store == nil {
		return id
	}
	conf := store.Spec.Configuration
	ann := store.Annotations
	if conf.AWS != nil && conf.AWS.InheritFromIAMRole {
		// Pod Identity wins, as in the EKS webhook: a role ARN beside it would only be dead weight on the
		// ServiceAccount.
		id.AWSPodIdentity = DeclaresPodIdentity(store)
		if !id.AWSPodIdentity {
			id.AWSRoleARN = strings.TrimSpace(ann[contract.StoreAWSRoleARN])
		}
	}
	if conf.Google != nil && conf.Google.GKEEnvironment {
		id.GCPServiceAccount = strings.TrimSpace(ann[contract.StoreGCPServiceAccount])
	}
	if conf.Azure != nil && (conf.Azure.InheritFromAzureAD || conf.Azure.UseDefaultAzureCredentials) {
		id.AzureClientID = strings.TrimSpace(ann[contract.StoreAzureClientID])
		if id.AzureClientID != "" {
			id.AzureTenantID = strings.TrimSpace(ann[contract.StoreAzureTenantID])
		}
	}
	return id
}

// DeclaresPodIdentity reports whether the store says an EKS Pod Identity association serves its Clusters.
func DeclaresPodIdentity(store *barmanv1.ObjectStore) bool {
	return store != nil && strings.TrimSpace(store.Annotations[contract.StoreAWSPodIdentity]) == "true"
}

// SAAnnotations returns the ServiceAccount annotations the identity needs, in a stable order.
func (i Identity) SAAnnotations() []Entry {
	var out []Entry
	if i.AWSRoleARN != "" {
		out = append(out, Entry{contract.AWSRoleARNAnnotation, i.AWSRoleARN})
	}
	if i.GCPServiceAccount != "" {
		out = append(out, Entry{contract.GCPServiceAccountAnnotation, i.GCPServiceAccount})
	}
	if i.AzureClientID != "" {
		out = append(out, Entry{contract.AzureClientIDAnnotation, i.AzureClientID})
		if i.AzureTenantID != "" {
			out = append(out, Entry{contract.AzureTenantIDAnnotation, i.AzureTenantID})
		}
	}
	return out
}

// Entry is one annotation or label to put in place.
type Entry struct{ Key, Value string }
