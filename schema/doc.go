// Package schema holds the API types objectstore-webhook reads and the generator directives for them:
// barmancloud/v1 (the Barman Cloud Plugin's ObjectStore, field for field) and cnpg/v1 (the small view of
// CloudNativePG's Cluster that the webhooks read).
package schema

//go:generate ../bin/controller-gen object paths=./... crd:crdVersions=v1 output:crd:artifacts:config=../manifests/crd/bases
