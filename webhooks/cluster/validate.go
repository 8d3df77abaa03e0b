package cluster

import (
	"context"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/objectstore-webhook/objectstore-webhook/internal/binding"
	"github.com/objectstore-webhook/objectstore-webhook/internal/contract"
	barmanv1 "github.com/objectstore-webhook/objectstore-webhook/schema/barmancloud/v1"
	cnpgv1 "github.com/objectstore-webhook/objectstore-webhook/schema/cnpg/v1"
)

var annotationsPath = field.NewPath("metadata", "annotations")

// Validate checks a Cluster's binding to its ObjectStore; old is nil on CREATE. Errors deny the request,
// warnings only inform: a store that does not exist yet is normal when GitOps applies in any order.
func Validate(ctx context.Context, lookup binding.Lookup, old, c *cnpgv1.Cluster) (field.ErrorList, []string, error) {
	b, ok := binding.BindingOf(c)
	if !ok {
		return nil, nil, nil
	}
	var errs field.ErrorList
	var warnings []string
	if name, set := c.Annotations[contract.ClusterServerName]; set {
		if msg := checkSegment(name); msg != "" {
			errs = append(errs, field.Invalid(annotationsPath.Key(contract.ClusterServerName), name, msg))
		}
	}
	if v, set := c.Annotations[contract.ClusterMaxWALHold]; set {
		if _, msg := binding.MaxWALHold(v); msg != "" {
			errs = append(errs, field.Invalid(annotationsPath.Key(contract.ClusterMaxWALHold), v, msg))
		}
	}
	if spec, set := c.Annotations[contract.ClusterBackupSchedule]; set {
		switch msg := binding.CheckSchedule(spec); {
		case msg != "":
			errs = append(errs, field.Invalid(annotationsPath.Key(contract.ClusterBackupSchedule), spec, msg))
		case b.Upstream:
			warnings = append(warnings, contract.ClusterBackupSchedule+
				" is ignored: the Barman Cloud Plugin runs no wal-archiver; use a ScheduledBackup")
		}
	}
	store, err := lookup.ObjectStore(ctx, c.Namespace, b.Store)
	if err != nil {
		return nil, nil, fmt.Errorf("reading ObjectStore %s/%s: %w", c.Namespace, b.Store, err)
	}
	if store == nil {
		warnings = append(warnings, fmt.Sprintf("ObjectStore %q not found in namespace %q: no archiving until it exists",
			b.Store, c.Namespace))
	} else {
		w, err := identityWarnings(ctx, lookup, c, store)
		if err != nil {
			return nil, nil, err
		}
		warnings = append(warnings, w...)
	}
	conflicts, err := sharing(ctx, lookup, c, b, store)
	if err != nil {
		return nil, nil, err
	}
	if len(conflicts) > 0 {
		// Two clusters' WAL in one folder would mix (upstream #263).
		msg := fmt.Sprintf("Cluster %s already archives to %q as server %q: set %s", strings.Join(conflicts, ", "),
			b.Store, b.ServerName, contract.ClusterServerName)
		var oldBinding binding.Binding
		if old != nil {
			oldBinding, _ = binding.BindingOf(old)
		}
		if old != nil && oldBinding == b {
			// The conflict predates this update; refusing would block every unrelated change (and the
			// operator's own updates) without separating the two clusters.
			warnings = append(warnings, msg)
		} else {
			errs = append(errs, field.Invalid(annotationsPath.Key(contract.ClusterObjectStore), b.Store, msg))
		}
	}
	return errs, warnings, nil
}

// checkSegment returns why a server name is not a single path segment, or "".
func checkSegment(name string) string {
	switch {
	case name == "":
		return "must not be empty: omit the annotation to use the Cluster's name"
	case name == "." || name == "..":
		return "must be a folder name, not . or .."
	case strings.ContainsAny(name, "/\\"):
		return "must be one path segment, without / or \\"
	case strings.TrimSpace(name) != name:
		return "must not begin or end with white space"
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return "must not contain control characters"
		}
	}
	return ""
}

// identityWarnings warns when the store expects the environment's identity and none that could work is
// declared: not on the store, not in the Cluster's template, not on the ServiceAccount it names. Archiving
// would fail at run time with a 403. An EKS Pod Identity association lives in the EKS API, out of sight,
// so for it the store's declaration is all there is to go on.
func identityWarnings(ctx context.Context, lookup binding.Lookup, c *cnpgv1.Cluster, store *barmanv1.ObjectStore) ([]string, error) {
	conf := store.Spec.Configuration
	type need struct {
		mode, storeKey, saKey string
		want                  string // what to annotate the store with
	}
	var needs []need
	if conf.AWS != nil && conf.AWS.InheritFromIAMRole && !binding.DeclaresPodIdentity(store) {
		needs = append(needs, need{"inheritFromIAMRole", contract.StoreAWSRoleARN, contract.AWSRoleARNAnnotation,
			contract.StoreAWSRoleARN + " or aws-pod-identity"})
	}
	if conf.Google != nil && conf.Google.GKEEnvironment {
		needs = append(needs, need{"gkeEnvironment", contract.StoreGCPServiceAccount,
			contract.GCPServiceAccountAnnotation, contract.StoreGCPServiceAccount})
	}
	if conf.Azure != nil && conf.Azure.InheritFromAzureAD {
		needs = append(needs, need{"inheritFromAzureAD", contract.StoreAzureClientID,
			contract.AzureClientIDAnnotation, contract.StoreAzureClientID})
	}
	if len(needs) == 0 {
		return nil, nil
	}
	saAnnotations, err := serviceAccountAnnotations(ctx, lookup, c)
	if err != nil {
		return nil, err
	}
	var warnings []string
	for _, n := range needs {
		if store.Annotations[n.storeKey] != "" || saAnnotations[n.saKey] != "" {
			continue
		}
		warnings = append(warnings, fmt.Sprintf("%s, no identity: annotate store %q with %s", n.mode, store.Name, n.want))
	}
	return warnings, nil
}

// serviceAccountAnnotations returns the annotations the instance pods' ServiceAccount will carry: the
// template's, or those of the existing account the Cluster names.
func serviceAccountAnnotations(ctx context.Context, lookup binding.Lookup, c *cnpgv1.Cluster) (map[string]string, error) {
	if c.Spec.ServiceAccountName == "" {
		if t := c.Spec.ServiceAccountTemplate; t != nil {
			return t.Metadata.Annotations, nil
		}
		return nil, nil
	}
	sa, err := lookup.ServiceAccount(ctx, c.Namespace, c.Spec.ServiceAccountName)
	if err != nil {
		return nil, fmt.Errorf("reading ServiceAccount %s/%s: %w", c.Namespace, c.Spec.ServiceAccountName, err)
	}
	if sa == nil {
		return nil, nil
	}
	return sa.Annotations, nil
}

// sharing returns the other Clusters of the namespace that archive into the same place: the same store
// (or another store with the same destination path) and the same server name.
func sharing(ctx context.Context, lookup binding.Lookup, c *cnpgv1.Cluster, b binding.Binding, store *barmanv1.ObjectStore) ([]string, error) {
	clusters, err := lookup.Clusters(ctx, c.Namespace)
	if err != nil {
		return nil, fmt.Errorf("listing Clusters in %s: %w", c.Namespace, err)
	}
	var out []string
	for i := range clusters {
		other := &clusters[i]
		if other.Name == c.Name || other.DeletionTimestamp != nil {
			continue
		}
		ob, ok := binding.BindingOf(other)
		if !ok || ob.ServerName != b.ServerName {
			continue
		}
		same := ob.Store == b.Store
		if !same && store != nil {
			otherStore, err := lookup.ObjectStore(ctx, c.Namespace, ob.Store)
			if err != nil {
				return nil, fmt.Errorf("reading ObjectStore %s/%s: %w", c.Namespace, ob.Store, err)
			}
			same = otherStore != nil && sameDestination(store, otherStore)
		}
		if same {
			out = append(out, other.Name)
		}
	}
	return out, nil
}

func sameDestination(a, b *barmanv1.ObjectStore) bool {
	da := strings.TrimRight(a.Spec.Configuration.DestinationPath, "/")
	db := strings.TrimRight(b.Spec.Configuration.DestinationPath, "/")
	return da != "" && da == db && a.Spec.Configuration.EndpointURL == b.Spec.Configuration.EndpointURL
}
