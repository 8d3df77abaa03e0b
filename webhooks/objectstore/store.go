package objectstore

import (
	"net"
	"net/url"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/objectstore-webhook/objectstore-webhook/internal/location"
	v1 "github.com/objectstore-webhook/objectstore-webhook/schema/barmancloud/v1"
)

// provider is the object store kind, chosen upstream by which credentials block is present.
type provider uint8

const (
	providerNone provider = iota
	providerS3
	providerAzure
	providerGoogle
)

func (p provider) String() string {
	switch p {
	case providerS3:
		return "s3"
	case providerAzure:
		return "azure"
	case providerGoogle:
		return "google"
	}
	return "none"
}

// label names the provider in a sentence.
func (p provider) label() string {
	switch p {
	case providerS3:
		return "S3"
	case providerAzure:
		return "Azure"
	case providerGoogle:
		return "Google Cloud Storage"
	}
	return "no provider"
}

// schemeProvider is the provider a destinationPath's scheme points at, as barman parses it.
func schemeProvider(dest string) provider {
	switch location.Scheme(dest) {
	case location.ProviderS3:
		return providerS3
	case location.ProviderGoogle:
		return providerGoogle
	case location.ProviderAzure:
		return providerAzure
	}
	return providerNone
}

// credentialsProvider is the single provider whose block is set, and how many blocks are set.
func credentialsProvider(c *v1.BarmanObjectStoreConfiguration) (provider, int) {
	p, n := providerNone, 0
	if c.AWS != nil {
		p, n = providerS3, n+1
	}
	if c.Azure != nil {
		p, n = providerAzure, n+1
	}
	if c.Google != nil {
		p, n = providerGoogle, n+1
	}
	if n != 1 {
		p = providerNone
	}
	return p, n
}

func (v *validator) store(o *v1.ObjectStore) {
	cfg := &o.Spec.Configuration
	v.upstream(o)
	v.consumers(&o.Spec)
	prov, n := credentialsProvider(cfg)
	switch {
	case n == 0:
		v.deny(field.Required(pathCfg, "set exactly one of s3Credentials, azureCredentials or googleCredentials"))
	case n > 1:
		first := ""
		for _, b := range [...]struct {
			set  bool
			name string
			path *field.Path
		}{{cfg.AWS != nil, "s3Credentials", pathS3}, {cfg.Azure != nil, "azureCredentials", pathAzure}, {cfg.Google != nil, "googleCredentials", pathGoogle}} {
			if !b.set {
				continue
			}
			if first == "" {
				first = b.name
				continue
			}
			v.deny(field.Forbidden(b.path, "only one credentials block may be set and "+first+" already is; remove one"))
		}
	}
	v.destination(cfg, prov)
	if cfg.AWS != nil {
		v.s3Credentials(cfg.AWS)
	}
	if cfg.Azure != nil {
		v.azureCredentials(cfg.Azure)
	}
	if cfg.Google != nil {
		v.googleCredentials(cfg.Google)
	}
	v.endpoint(cfg, prov)
	if prov == providerAzure || prov == providerGoogle {
		if cfg.Wal != nil && cfg.Wal.Encryption != "" {
			v.warn(pathWalEncryption, msgEncryptionIgnored)
		}
		if cfg.Data != nil && cfg.Data.Encryption != "" {
			v.warn(pathDataEncryption, msgEncryptionIgnored)
		}
	}
	v.identities(o, prov)
}

// msgEncryptionIgnored: wal-archiver, like barman-cloud, passes the encryption only to its S3 driver.
const msgEncryptionIgnored = "ignored by barman-cloud and wal-archiver: server-side encryption is for S3 only"

// destination checks destinationPath against the credentials block, then its structure for the provider.
func (v *validator) destination(cfg *v1.BarmanObjectStoreConfiguration, prov provider) {
	dest := cfg.DestinationPath
	if dest == "" {
		v.deny(field.Required(pathDest, "set where backups go, e.g. s3://bucket/path, gs://bucket/path or https://account.blob.core.windows.net/container/path"))
		return
	}
	scheme := schemeProvider(dest)
	if scheme == providerNone {
		v.deny(field.Invalid(pathDest, displayURL(dest), "start it with s3://, gs:// or https:// (Azure), e.g. s3://bucket/path"))
		return
	}
	if prov != providerNone && scheme != prov {
		v.deny(field.Invalid(pathDest, displayURL(dest), mismatch(prov)))
		return
	}
	if hasCredentialsInURL(dest) {
		v.deny(field.Invalid(pathDest, displayURL(dest), "remove the user information, query and fragment; credentials belong in a Secret"))
		return
	}
	switch scheme {
	case providerS3:
		v.s3Path(dest, cfg.EndpointURL != "")
	case providerGoogle:
		v.googlePath(dest)
	case providerAzure:
		v.azurePath(dest, cfg.Azure)
	}
}

func mismatch(prov provider) string {
	switch prov {
	case providerS3:
		return "s3Credentials is set, so write the path as s3://bucket/path"
	case providerGoogle:
		return "googleCredentials is set, so write the path as gs://bucket/path"
	}
	return "azureCredentials is set, so write the path as https://account.blob.core.windows.net/container/path"
}

// prefixPath checks the folder part under the bucket or container.
func (v *validator) prefixPath(prefix string) {
	if strings.Contains(prefix, "//") {
		v.warn(pathDest, "has an empty folder name (//); some stores mishandle such object keys")
	}
}

// endpoint checks endpointURL and endpointCA.
func (v *validator) endpoint(cfg *v1.BarmanObjectStoreConfiguration, prov provider) {
	if raw := cfg.EndpointURL; raw != "" {
		u, err := url.Parse(raw)
		switch {
		case err != nil || u.Host == "" || u.Scheme == "" || u.Opaque != "":
			v.deny(field.Invalid(pathEndpointURL, displayURL(raw), "write an absolute URL with scheme and host, e.g. https://s3.example.com"))
		case u.Scheme != "https" && u.Scheme != "http":
			v.deny(field.Invalid(pathEndpointURL, displayURL(raw), "use an http or https URL, e.g. https://s3.example.com"))
		case u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
			v.deny(field.Invalid(pathEndpointURL, displayURL(raw), "remove the user information, query and fragment; credentials belong in s3Credentials"))
		case prov == providerAzure || prov == providerGoogle:
			v.warn(pathEndpointURL, "ignored by barman-cloud and wal-archiver: both pass endpointURL only to S3")
		case u.Scheme == "http" && !inCluster(u.Hostname()):
			v.warn(pathEndpointURL, "plain http sends credentials and WAL unencrypted; use https")
		}
	}
	if ca := cfg.EndpointCA; ca != nil {
		if prov == providerGoogle {
			v.warn(pathEndpointCA, "ignored by barman-cloud for Google Cloud Storage; wal-archiver trusts it")
		}
		if prov == providerS3 && cfg.EndpointURL == "" {
			v.warn(pathEndpointCA, "no endpointURL: barman-cloud trusts only it for AWS; wal-archiver adds it to the roots")
		}
		if data, ok := v.secretRef(pathEndpointCA, ca, "CA certificates"); ok {
			v.checkCA(ca, data)
		}
	}
}

// update warns about changes that split the WAL history between two locations.
func (v *validator) update(old, obj *v1.ObjectStore) {
	oldProv, _ := credentialsProvider(&old.Spec.Configuration)
	newProv, _ := credentialsProvider(&obj.Spec.Configuration)
	if oldProv != newProv && oldProv != providerNone && newProv != providerNone {
		v.warn(pathCfg, "provider changed from "+oldProv.String()+" to "+newProv.String()+"; the WAL history splits across stores")
		return
	}
	if old.Spec.Configuration.DestinationPath != obj.Spec.Configuration.DestinationPath {
		v.warn(pathDest, "changed; what is archived stays at the old path, so the WAL history splits")
	}
}

// inCluster reports whether host names a Service of the cluster or the node itself: a single-label name
// (a Service of the namespace), *.svc, *.cluster.local, localhost or a loopback address. Plain http to such
// a host stays on the cluster network, as upstream's own MinIO examples do, so the warning is kept for
// hosts outside it.
func inCluster(host string) bool {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if ip := net.ParseIP(host); ip != nil {
		return ip.IsLoopback()
	}
	return host != "" && !strings.Contains(host, ".") ||
		host == "localhost" || strings.HasSuffix(host, ".svc") || strings.HasSuffix(host, ".cluster.local")
}
