package location

import "strings"

// Scheme is the provider a destinationPath's scheme points at, as barman reads it (the Cloud Console
// form of a bucket is Google's), or "" when it points at none.
func Scheme(dest string) string {
	if strings.HasPrefix(dest, gcsConsole) {
		return ProviderGoogle
	}
	scheme, _, ok := strings.Cut(dest, "://")
	if !ok {
		return ""
	}
	// Schemes are case-insensitive (RFC 3986); url.Parse and Python's urlparse both lower them.
	switch strings.ToLower(scheme) {
	case "s3":
		return ProviderS3
	case "gs":
		return ProviderGoogle
	case "https", "http":
		return ProviderAzure
	}
	return ""
}

// Split cuts dest into the Azure account (the cloud host's first label, or the emulator path's first
// segment), the bucket or container, and the prefix as written, checking nothing: it is how the
// admission rules read a destination in order to name what is wrong with it, where Parse refuses it.
// The prefix is not trimmed, so that a rule can point at a '//' in it. Where Parse accepts dest, the two
// agree (FuzzSplitAgreesWithParse).
func Split(dest string) (account, bucket, prefix string) {
	provider := Scheme(dest)
	rest, console := strings.CutPrefix(dest, gcsConsole)
	if !console {
		_, rest, _ = strings.Cut(dest, "://")
	}
	switch provider {
	case ProviderS3, ProviderGoogle:
		bucket, prefix, _ = strings.Cut(rest, "/")
	case ProviderAzure:
		host, path, _ := strings.Cut(rest, "/")
		hostname, _, _ := strings.Cut(host, ":")
		if _, cloud := AzureBlobSuffix(hostname); cloud {
			account, _, _ = strings.Cut(hostname, ".")
			bucket, prefix, _ = strings.Cut(path, "/")
		} else {
			account, rest, _ = strings.Cut(path, "/")
			bucket, prefix, _ = strings.Cut(rest, "/")
		}
	}
	return account, bucket, prefix
}
