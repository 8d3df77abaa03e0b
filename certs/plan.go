package certs

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Keys of the self-managed Secret. tls.crt and tls.key make it a valid kubernetes.io/tls Secret; ca.crt is
// the trust bundle (the current CA first, then older CAs kept until they expire); ca.key signs new leaves.
const (
	keyTLSCert = "tls.crt"
	keyTLSKey  = "tls.key"
	keyCACert  = "ca.crt"
	keyCAKey   = "ca.key"
)

// RenewBefore says how long before expiry a certificate is replaced: either a fraction of its lifetime
// or a fixed duration. It is a flag.Value accepting "1/3", "0.25" or "720h".
type RenewBefore struct {
	Fraction float64
	Duration time.Duration
}

// String renders the value the way Set accepts it.
func (r *RenewBefore) String() string {
	if r == nil {
		return ""
	}
	if r.Duration > 0 {
		return r.Duration.String()
	}
	return strconv.FormatFloat(r.Fraction, 'g', 4, 64)
}

// Set parses "N/M", a decimal fraction in (0, 1), or a Go duration.
func (r *RenewBefore) Set(s string) error {
	s = strings.TrimSpace(s)
	if num, den, ok := strings.Cut(s, "/"); ok {
		n, err1 := strconv.ParseFloat(num, 64)
		d, err2 := strconv.ParseFloat(den, 64)
		if err1 != nil || err2 != nil || d == 0 || n/d <= 0 || n/d >= 1 {
			return fmt.Errorf("renew-before %q: want a fraction of the lifetime strictly between 0 and 1, such as 1/3", s)
		}
		*r = RenewBefore{Fraction: n / d}
		return nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		if f <= 0 || f >= 1 {
			return fmt.Errorf("renew-before %q: a fraction must be strictly between 0 and 1 (or give a duration such as 720h)", s)
		}
		*r = RenewBefore{Fraction: f}
		return nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return fmt.Errorf("renew-before %q: want a fraction such as 1/3 or a positive duration such as 720h", s)
	}
	*r = RenewBefore{Duration: d}
	return nil
}

// renewAt is when a certificate issued at notBefore+backdate and expiring at notAfter is due.
func (r RenewBefore) renewAt(cert *x509.Certificate) time.Time {
	issued := cert.NotBefore.Add(backdate)
	lifetime := cert.NotAfter.Sub(issued)
	ahead := r.Duration
	if ahead <= 0 {
		ahead = time.Duration(float64(lifetime) * r.Fraction)
	}
	if ahead >= lifetime {
		// A duration longer than the lifetime would renew forever; fall back to renewing at two thirds.
		ahead = lifetime / 3
	}
	return cert.NotAfter.Add(-ahead)
}

// planParams is what the planner needs to know besides the Secret and the time.
type planParams struct {
	caName       string
	dnsNames     []string
	ips          []net.IP
	caLifetime   time.Duration
	certLifetime time.Duration
	renewBefore  RenewBefore
	// published reports whether every webhook in our configurations already trusts ca, and has for
	// long enough that the API servers have seen it; only then may the leaf move to a new CA.
	published func(ca *x509.Certificate) bool
}

// plan returns the Secret data that should be stored, or nil when data is fine as it is, with a reason
// for the log. It never returns data with a leaf that the returned bundle does not trust.
func plan(data map[string][]byte, p planParams, now time.Time) (map[string][]byte, string, error) {
	bundle := parseCerts(data[keyCACert])
	var reasons []string

	ca := currentCA(data, bundle, now)
	if ca == nil {
		var err error
		if ca, err = NewCA(p.caName, p.caLifetime, now); err != nil {
			return nil, "", err
		}
		reasons = append(reasons, "no usable CA: issued a new one")
	} else if !now.Before(p.renewBefore.renewAt(ca.Cert)) {
		next, err := NewCA(p.caName, p.caLifetime, now)
		if err != nil {
			return nil, "", err
		}
		ca = next
		reasons = append(reasons, "CA due for renewal: new CA added to the bundle, the old one kept until it expires")
	}

	// The bundle: the current CA first, then every other unexpired CA still listed, so that a leaf signed by
	// one of them (perhaps still served by a replica that has not re-read the Secret) keeps verifying.
	newBundle := []*x509.Certificate{ca.Cert}
	for _, c := range bundle {
		if c.IsCA && now.Before(c.NotAfter) && !containsCert(newBundle, c) {
			newBundle = append(newBundle, c)
		}
	}

	leaf := validLeaf(data, newBundle, p, now)
	switch {
	case leaf == nil:
		reasons = append(reasons, "no valid serving certificate for the configured names: issued one")
	case !signedBy(leaf.Cert, ca.Cert):
		if p.published != nil && p.published(ca.Cert) {
			leaf = nil
			reasons = append(reasons, "new CA published in every webhook configuration: serving certificate moved to it")
		}
	case !now.Before(p.renewBefore.renewAt(leaf.Cert)):
		leaf = nil
		reasons = append(reasons, "serving certificate due for renewal")
	}
	if leaf == nil {
		var err error
		if leaf, err = IssueServing(ca, p.dnsNames, p.ips, p.certLifetime, now); err != nil {
			return nil, "", err
		}
	}

	out := map[string][]byte{
		keyTLSCert: leaf.CertPEM,
		keyTLSKey:  leaf.KeyPEM,
		keyCACert:  encodeCerts(newBundle),
		keyCAKey:   ca.KeyPEM,
	}
	if sameData(data, out) {
		return nil, "", nil
	}
	if len(reasons) == 0 {
		reasons = append(reasons, "expired CA dropped from the bundle")
	}
	return out, strings.Join(reasons, "; "), nil
}

// currentCA is the first certificate of the bundle with the stored CA key, if it is a usable CA.
func currentCA(data map[string][]byte, bundle []*x509.Certificate, now time.Time) *KeyPair {
	if len(bundle) == 0 || len(data[keyCAKey]) == 0 {
		return nil
	}
	first := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: bundle[0].Raw})
	kp, err := ParseKeyPair(first, data[keyCAKey])
	if err != nil || !kp.Cert.IsCA || !now.Before(kp.Cert.NotAfter) || !keyMatches(kp) {
		return nil
	}
	kp.CertPEM = first
	return kp
}

// validLeaf is the stored serving certificate if it parses, matches its key, verifies against the bundle
// now, and names exactly the configured DNS names and IPs.
func validLeaf(data map[string][]byte, bundle []*x509.Certificate, p planParams, now time.Time) *KeyPair {
	kp, err := ParseKeyPair(data[keyTLSCert], data[keyTLSKey])
	if err != nil || !keyMatches(kp) || !now.Before(kp.Cert.NotAfter) {
		return nil
	}
	roots := x509.NewCertPool()
	for _, c := range bundle {
		roots.AddCert(c)
	}
	if _, err := kp.Cert.Verify(x509.VerifyOptions{Roots: roots, CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
		return nil
	}
	if !sameStrings(kp.Cert.DNSNames, p.dnsNames) || !sameIPs(kp.Cert.IPAddresses, p.ips) {
		return nil
	}
	return kp
}

func keyMatches(kp *KeyPair) bool {
	type equaler interface{ Equal(crypto.PublicKey) bool }
	pub, ok := kp.Key.Public().(equaler)
	return ok && pub.Equal(kp.Cert.PublicKey)
}

func signedBy(leaf, ca *x509.Certificate) bool {
	return bytes.Equal(leaf.RawIssuer, ca.RawSubject) && leaf.CheckSignatureFrom(ca) == nil
}

// parseCerts reads every CERTIFICATE block it can; anything else is ignored (and so dropped on rewrite).
func parseCerts(pemData []byte) []*x509.Certificate {
	var out []*x509.Certificate
	for len(pemData) > 0 {
		var block *pem.Block
		block, pemData = pem.Decode(pemData)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		if c, err := x509.ParseCertificate(block.Bytes); err == nil {
			out = append(out, c)
		}
	}
	return out
}

func encodeCerts(certs []*x509.Certificate) []byte {
	var buf bytes.Buffer
	for _, c := range certs {
		// Writing to a bytes.Buffer cannot fail.
		_ = pem.Encode(&buf, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
	}
	return buf.Bytes()
}

func containsCert(list []*x509.Certificate, c *x509.Certificate) bool {
	return slices.ContainsFunc(list, func(x *x509.Certificate) bool { return x.Equal(c) })
}

func sameData(a, b map[string][]byte) bool {
	for _, k := range []string{keyTLSCert, keyTLSKey, keyCACert, keyCAKey} {
		if !bytes.Equal(a[k], b[k]) {
			return false
		}
	}
	return true
}

func sameStrings(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func sameIPs(a, b []net.IP) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		if !slices.ContainsFunc(b, x.Equal) {
			return false
		}
	}
	return true
}

// errWrongSecretType is returned when the Secret exists with a type that cannot be changed in place.
var errWrongSecretType = errors.New("wrong Secret type")
