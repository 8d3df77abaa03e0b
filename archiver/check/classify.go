package check

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/store"
)

// Class is the kind of a failure, for people and for alerts.
type Class string

// The failure classes, in the order a connection meets them.
const (
	ClassNone       Class = ""
	ClassDNS        Class = "dns"
	ClassConnect    Class = "connect"
	ClassTLS        Class = "tls"
	ClassAuth       Class = "auth"
	ClassBucket     Class = "bucket"
	ClassPermission Class = "permission"
	ClassTimeout    Class = "timeout"
	ClassIntegrity  Class = "integrity"
	ClassOther      Class = "other"
)

// Classify names what is wrong with err and what would fix it. bucket and endpoint are used in the
// message only.
func Classify(err error, bucket, endpoint string) (Class, string) {
	if err == nil {
		return ClassNone, ""
	}
	var (
		dnsErr     *net.DNSError
		unknownCA  x509.UnknownAuthorityError
		hostErr    x509.HostnameError
		invalidErr x509.CertificateInvalidError
		verifyErr  *tls.CertificateVerificationError
		recordErr  tls.RecordHeaderError
		opErr      *net.OpError
	)
	where := endpoint
	if where == "" {
		where = "the store"
	}
	var integrity integrityError
	switch {
	case errors.As(err, &integrity):
		return ClassIntegrity, err.Error()
	case errors.Is(err, store.ErrBucketNotFound):
		return ClassBucket, fmt.Sprintf("bucket %q does not exist: create it or fix the destination path (%v)", bucket, err)
	case errors.Is(err, store.ErrAuthentication):
		return ClassAuth, fmt.Sprintf("authentication failed: check the access key, secret, token or identity (%v)", err)
	case errors.Is(err, store.ErrPermission):
		return ClassPermission, fmt.Sprintf("permission denied on bucket %q: the credentials are not allowed this operation (%v)", bucket, err)
	case missingCredentials(err):
		return ClassAuth, fmt.Sprintf("no credentials found: give the store keys, or an identity (IRSA, Workload Identity) the pod really has (%v)", err)
	case errors.As(err, &dnsErr):
		return ClassDNS, fmt.Sprintf("cannot resolve host %q: check the endpoint URL or destination path and the pod's DNS (%v)", dnsErr.Name, err)
	case errors.As(err, &unknownCA), errors.As(err, &verifyErr):
		return ClassTLS, fmt.Sprintf("the TLS certificate of %s is not trusted: set endpointCA to the CA that signed it (%v)", where, err)
	case errors.As(err, &hostErr):
		return ClassTLS, fmt.Sprintf("the TLS certificate of %s does not name the host: fix the endpoint URL or the certificate (%v)", where, err)
	case errors.As(err, &invalidErr):
		return ClassTLS, fmt.Sprintf("the TLS certificate of %s is invalid (expired or not yet valid?) (%v)", where, err)
	case errors.As(err, &recordErr):
		return ClassTLS, fmt.Sprintf("%s did not answer TLS: is the endpoint http:// rather than https://? (%v)", where, err)
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH),
		errors.As(err, &opErr) && opErr.Op == "dial":
		return ClassConnect, fmt.Sprintf("cannot connect to %s: check the endpoint URL, the port and network policies (%v)", where, err)
	case errors.Is(err, context.DeadlineExceeded):
		return ClassTimeout, fmt.Sprintf("%s did not answer in time (%v)", where, err)
	}
	return ClassOther, err.Error()
}

// missingCredentials recognises the SDKs' "no credentials anywhere in the chain" failures. None of the three
// SDKs exports a type for it, so their stable message fragments are matched.
func missingCredentials(err error) bool {
	msg := err.Error()
	for _, frag := range []string{
		"get identity: get credentials",             // aws-sdk-go-v2, default chain exhausted
		"could not find default credentials",        // Google ADC
		"DefaultAzureCredential: failed to acquire", // azidentity chain exhausted
	} {
		if strings.Contains(msg, frag) {
			return true
		}
	}
	return false
}
