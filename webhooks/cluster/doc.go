// Package cluster wires a CloudNativePG Cluster to the cloud identity of the ObjectStore it archives to
// (mutate) and checks that the binding is sound (validate), reading other objects only through binding.Lookup.
package cluster
