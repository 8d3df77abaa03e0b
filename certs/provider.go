package certs

import "crypto/tls"

// Provider hands the HTTPS server its current certificate. Implementations swap certificates atomically
// so that a rotation never fails a handshake in flight.
type Provider interface {
	// GetCertificate is used as tls.Config.GetCertificate.
	GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error)
	// Ready reports whether a valid certificate is loaded (and, in self-managed mode, its CA published in
	// the webhook configurations).
	Ready() bool
}
