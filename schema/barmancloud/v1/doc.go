// Package v1 is the Barman Cloud Plugin's barmancloud.cnpg.io/v1 API (ObjectStore), kept field for field
// compatible with upstream v0.14 so that stores written for the plugin validate here unchanged.
//
// +kubebuilder:object:generate=true
// +groupName=barmancloud.cnpg.io
package v1
