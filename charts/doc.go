// Package charts holds the Helm chart (charts/objectstore-webhook); its tests hold the chart to the
// kustomize manifests, object by object.
package charts
