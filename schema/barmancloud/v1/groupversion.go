package v1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// GroupVersion is the API group and version of ObjectStore.
var GroupVersion = schema.GroupVersion{Group: "barmancloud.cnpg.io", Version: "v1"}

// Resource is the ObjectStore resource, as admission reviews name it.
var Resource = GroupVersion.WithResource("objectstores")

// Kind is the ObjectStore kind.
var Kind = GroupVersion.WithKind("ObjectStore")

var (
	// SchemeBuilder registers the types of this package.
	SchemeBuilder = runtime.NewSchemeBuilder(addKnownTypes)
	// AddToScheme adds the types of this package to a scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)

func addKnownTypes(s *runtime.Scheme) error {
	s.AddKnownTypes(GroupVersion, &ObjectStore{}, &ObjectStoreList{})
	metav1.AddToGroupVersion(s, GroupVersion)
	return nil
}
