package location

import (
	"strings"
	"testing"
)

func TestSplit(t *testing.T) {
	// account, bucket, prefix
	want := map[string][3]string{
		"s3://b//a/": {"", "b", "/a/"},
		"s3://":      {},
		"gs://b/p":   {"", "b", "p"},
		"https://console.cloud.google.com/storage/browser/b/p/": {"", "b", "p/"},
		"https://acct.z12.blob.storage.azure.net/c/p":           {"acct", "c", "p"},
		"https://acct.blob.core.windows.net":                    {"acct", "", ""},
		"http://127.0.0.1:10000/devstoreaccount1/c/p/q":         {"devstoreaccount1", "c", "p/q"},
		"HTTPS://acct.blob.core.windows.net/c":                  {"acct", "c", ""},
		"ftp://x/y":                                             {},
	}
	for in, w := range want {
		a, b, p := Split(in)
		if got := [3]string{a, b, p}; got != w {
			t.Errorf("Split(%q) = %q, want %q", in, got, w)
		}
	}
}

// FuzzSplitAgreesWithParse: wherever wal-archiver's parse accepts a destination, the rules' reading of
// it names the same provider, account, bucket and (trimmed) prefix.
func FuzzSplitAgreesWithParse(f *testing.F) {
	for _, s := range []string{"s3://b/p", "gs://b/p/", "https://console.cloud.google.com/storage/browser/b/p",
		"https://a.blob.core.windows.net/c/p", "https://a.z3.blob.storage.azure.net/c", "http://h:1/a/c/p//q",
		"https://a.privatelink.blob.core.windows.net/c/p", "s3://b", "https://h/a/c/p%2Fq"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, dest string) {
		loc, err := Parse(dest, "")
		if err != nil {
			return
		}
		if got := Scheme(dest); got != loc.Provider {
			t.Fatalf("%q: Scheme %q, Parse %q", dest, got, loc.Provider)
		}
		account, bucket, prefix := Split(dest)
		if strings.ContainsAny(dest, "%?#@\\") || strings.ContainsFunc(dest, func(r rune) bool { return r < 0x21 || r >= 0x7f }) {
			// Escapes, queries, fragments, user information and unprintable bytes are the rules' to refuse
			// before they split (hasCredentialsInURL and the character checks); Parse decodes them.
			return
		}
		if bucket != loc.Bucket || strings.Trim(prefix, "/") != loc.Prefix || (loc.Provider == ProviderAzure && account != loc.Account) {
			t.Fatalf("%q: Split %q %q %q, Parse %+v", dest, account, bucket, prefix, loc)
		}
	})
}
