// Package certs provides the webhook's serving certificate: read from files, issued and rotated by the
// webhook itself (self-managed), or mounted by cert-manager; and tells when one is being served.
package certs
