package v1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// GroupVersion is CloudNativePG's API group and version.
var GroupVersion = schema.GroupVersion{Group: "postgresql.cnpg.io", Version: "v1"}

// Resource is the Cluster resource, as admission reviews name it.
var Resource = GroupVersion.WithResource("clusters")

// Kind is the Cluster kind.
var Kind = GroupVersion.WithKind("Cluster")

var (
	// SchemeBuilder registers the types of this package.
	SchemeBuilder = runtime.NewSchemeBuilder(addKnownTypes)
	// AddToScheme adds the types of this package to a scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)

func addKnownTypes(s *runtime.Scheme) error {
	s.AddKnownTypes(GroupVersion, &Cluster{}, &ClusterList{})
	metav1.AddToGroupVersion(s, GroupVersion)
	return nil
}
