// Package v1 is the small view of CloudNativePG's postgresql.cnpg.io/v1 Cluster that the webhooks read;
// every other field of a Cluster is left untouched because mutations are add-only JSON patches.
//
// +kubebuilder:object:generate=true
// +groupName=postgresql.cnpg.io
package v1
