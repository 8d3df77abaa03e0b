package location

import (
	"fmt"
	"net/url"
	"strings"
	"unicode"
)

// Providers, as contract.Provider spells them.
const (
	ProviderS3     = "s3"
	ProviderAzure  = "azure"
	ProviderGoogle = "google"
)

// Location is a parsed destinationPath.
type Location struct {
	Provider string
	// Bucket is the S3/GCS bucket or the Azure container.
	Bucket string
	// Prefix is the key prefix inside the bucket, without leading or trailing '/'; empty at the root.
	Prefix string
	// AccountURL is the Azure blob service URL: https://<account>.blob.core.windows.net for the cloud
	// forms, scheme://host:port/<account> for the emulator form.
	AccountURL string
	// Account is the Azure storage account named by the path.
	Account string
	// Emulated is true for the Azure emulator form http://host:port/<account>/<container>/<prefix>.
	Emulated bool
}

// Join appends path parts to the prefix the way barman's os.path.join does for these names: an empty
// prefix adds nothing, and no '/' is doubled.
func (l Location) Join(parts ...string) string {
	out := l.Prefix
	for _, p := range parts {
		p = strings.Trim(p, "/")
		if p == "" {
			continue
		}
		if out == "" {
			out = p
		} else {
			out += "/" + p
		}
	}
	return out
}

// String is the destination in its canonical form, for messages.
func (l Location) String() string {
	bp := l.Bucket
	if l.Prefix != "" {
		bp += "/" + l.Prefix
	}
	switch l.Provider {
	case ProviderS3:
		return "s3://" + bp
	case ProviderGoogle:
		return "gs://" + bp
	}
	return strings.TrimRight(l.AccountURL, "/") + "/" + bp
}

// gcsConsole is the Cloud Console form barman rewrites to gs://.
const gcsConsole = "https://console.cloud.google.com/storage/browser/"

// azureBlobSuffixes are the blob service domains of the Azure clouds. barman recognises only the public
// cloud's; the sovereign clouds and DNS-zone endpoints are the same service under other names.
var azureBlobSuffixes = []string{
	"blob.core.windows.net",       // public (and privatelink.blob.core.windows.net)
	"blob.core.chinacloudapi.cn",  // Azure China
	"blob.core.usgovcloudapi.net", // Azure US Government
	"blob.core.cloudapi.de",       // Azure Germany (retired, still accepted)
	"blob.storage.azure.net",      // DNS-zone endpoints: <account>.zNN.blob.storage.azure.net
	"blob.core.eaglex.ic.gov",     // Azure US Secret
	"blob.core.microsoft.scloud",  // Azure US Top Secret
	"blob.core.sovcloud-api.fr",   // Bleu
	"blob.core.sovcloud-api.de",   // Delos
}

// Parse reads a destinationPath. provider may be empty (inferred from the URL) or one of
// s3, azure, google, and must then agree with the URL.
func Parse(destination, provider string) (Location, error) {
	if destination == "" {
		return Location{}, fmt.Errorf("the destination path is empty; want s3://bucket/prefix, gs://bucket/prefix or https://<account>.blob.core.windows.net/<container>/prefix")
	}
	if strings.HasPrefix(destination, gcsConsole) {
		destination = "gs://" + strings.TrimPrefix(destination, gcsConsole)
	}
	u, err := url.Parse(destination)
	if err != nil {
		return Location{}, fmt.Errorf("destination path %q is not a URL: %w", destination, err)
	}
	// url.Parse refuses a raw control character but decodes an escaped one (%00, %0A) into the path, where
	// it would become part of a bucket, container or object key, and String would give back what url.Parse
	// refuses.
	for _, r := range u.Path {
		if unicode.IsControl(r) {
			return Location{}, fmt.Errorf("destination path %q decodes to the control character %U in its path; bucket, container and prefix are printable text", destination, r)
		}
	}
	var loc Location
	switch u.Scheme {
	case "s3":
		loc, err = parseS3(u)
	case "gs":
		loc, err = parseGS(u)
	case "http", "https":
		loc, err = parseAzure(u)
	default:
		return Location{}, fmt.Errorf("destination path %q has scheme %q; want s3://, gs:// or https:// (Azure)", destination, u.Scheme)
	}
	if err != nil {
		return Location{}, err
	}
	if provider != "" && provider != loc.Provider {
		return Location{}, fmt.Errorf("the provider is %q but the destination path %q is a %s location", provider, destination, loc.Provider)
	}
	return loc, nil
}

func parseS3(u *url.URL) (Location, error) {
	if u.Host == "" {
		return Location{}, fmt.Errorf("destination path %q names no bucket; want s3://bucket/prefix", u.String())
	}
	// barman: bucket = netloc, path = parsed.path.lstrip("/").
	return Location{Provider: ProviderS3, Bucket: u.Host, Prefix: strings.Trim(u.Path, "/")}, nil
}

func parseGS(u *url.URL) (Location, error) {
	if u.Host == "" {
		return Location{}, fmt.Errorf("destination path %q names no bucket; want gs://bucket/prefix", u.String())
	}
	// barman: bucket = netloc, path = path.strip("/").
	return Location{Provider: ProviderGoogle, Bucket: u.Host, Prefix: strings.Trim(u.Path, "/")}, nil
}

func parseAzure(u *url.URL) (Location, error) {
	if u.Host == "" {
		return Location{}, fmt.Errorf("destination path %q names no host", u.String())
	}
	parts := strings.Split(u.Path, "/") // parts[0] is "" before the leading '/'
	if isAzureCloudHost(u.Hostname()) {
		// <scheme>://<account>.blob.<suffix>/<container>/<prefix>: container = parts[1], prefix = parts[2:].
		if len(parts) < 2 || parts[1] == "" {
			return Location{}, fmt.Errorf("destination path %q names no container; want https://%s/<container>/<prefix>", u.String(), u.Host)
		}
		return Location{
			Provider:   ProviderAzure,
			Bucket:     parts[1],
			Prefix:     strings.Trim(strings.Join(parts[2:], "/"), "/"),
			AccountURL: u.Scheme + "://" + u.Host,
			Account:    strings.Split(u.Hostname(), ".")[0],
		}, nil
	}
	// Emulator: <scheme>://<host>:<port>/<account>/<container>/<prefix>.
	if len(parts) < 3 || parts[1] == "" || parts[2] == "" {
		return Location{}, fmt.Errorf("destination path %q is neither an Azure blob URL (https://<account>.blob.core.windows.net/<container>/<prefix>) nor an emulator URL (http://<host>:<port>/<account>/<container>/<prefix>)", u.String())
	}
	return Location{
		Provider:   ProviderAzure,
		Bucket:     parts[2],
		Prefix:     strings.Trim(strings.Join(parts[3:], "/"), "/"),
		AccountURL: u.Scheme + "://" + u.Host + "/" + parts[1],
		Account:    parts[1],
		Emulated:   true,
	}, nil
}

func isAzureCloudHost(host string) bool {
	_, ok := AzureBlobSuffix(host)
	return ok
}

// AzureBlobSuffix is the blob service domain of an Azure cloud that host ends in (after a '.'), if any.
func AzureBlobSuffix(host string) (string, bool) {
	host = strings.ToLower(host)
	for _, s := range azureBlobSuffixes {
		if strings.HasSuffix(host, "."+s) {
			return s, true
		}
	}
	return "", false
}

// AzureBlobSuffixes lists the blob service domains Parse reads as Azure clouds, barman's first.
func AzureBlobSuffixes() []string { return append([]string(nil), azureBlobSuffixes...) }

// BarmanReadsAzureSuffix reports whether barman-cloud reads a host of this blob suffix as the Azure cloud
// it is; it reads any other host as an emulator's.
func BarmanReadsAzureSuffix(suffix string) bool { return suffix == azureBlobSuffixes[0] }
