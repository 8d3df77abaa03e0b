// Package besideplugin installs the webhook beside the Barman Cloud Plugin, on a real API server: the
// plugin's ObjectStore CRD first, then manifests/beside-plugin with kubectl, and checks that the CRD is
// left alone, that ObjectStores are still validated, and that a CRD lacking fields holds readiness back.
package besideplugin
