package location

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, c := range []struct {
		in, provider string
		want         Location
	}{
		{"s3://bucket", "", Location{Provider: "s3", Bucket: "bucket"}},
		{"s3://bucket/", "s3", Location{Provider: "s3", Bucket: "bucket"}},
		{"s3://bucket/a/b/", "", Location{Provider: "s3", Bucket: "bucket", Prefix: "a/b"}},
		{"gs://bkt/pre/fix", "google", Location{Provider: "google", Bucket: "bkt", Prefix: "pre/fix"}},
		{"https://console.cloud.google.com/storage/browser/bkt/pre/", "", Location{Provider: "google", Bucket: "bkt", Prefix: "pre"}},
		{"https://acct.blob.core.windows.net/wal/cluster-1", "azure", Location{Provider: "azure", Bucket: "wal", Prefix: "cluster-1",
			AccountURL: "https://acct.blob.core.windows.net", Account: "acct"}},
		{"https://acct.blob.core.windows.net/wal", "", Location{Provider: "azure", Bucket: "wal",
			AccountURL: "https://acct.blob.core.windows.net", Account: "acct"}},
		{"https://acct.privatelink.blob.core.windows.net/wal/p/q/", "", Location{Provider: "azure", Bucket: "wal", Prefix: "p/q",
			AccountURL: "https://acct.privatelink.blob.core.windows.net", Account: "acct"}},
		{"https://acct.blob.core.chinacloudapi.cn/wal/p", "", Location{Provider: "azure", Bucket: "wal", Prefix: "p",
			AccountURL: "https://acct.blob.core.chinacloudapi.cn", Account: "acct"}},
		{"https://acct.blob.core.usgovcloudapi.net/wal/p", "", Location{Provider: "azure", Bucket: "wal", Prefix: "p",
			AccountURL: "https://acct.blob.core.usgovcloudapi.net", Account: "acct"}},
		{"https://acct.z12.blob.storage.azure.net/c/p", "azure", Location{Provider: "azure", Bucket: "c", Prefix: "p",
			AccountURL: "https://acct.z12.blob.storage.azure.net", Account: "acct"}},
		{"http://azurite:10000/storageaccountname/backups/", "", Location{Provider: "azure", Bucket: "backups",
			AccountURL: "http://azurite:10000/storageaccountname", Account: "storageaccountname", Emulated: true}},
		{"http://127.0.0.1:10000/devstoreaccount1/wal/a/b", "azure", Location{Provider: "azure", Bucket: "wal", Prefix: "a/b",
			AccountURL: "http://127.0.0.1:10000/devstoreaccount1", Account: "devstoreaccount1", Emulated: true}},
	} {
		got, err := Parse(c.in, c.provider)
		if err != nil {
			t.Errorf("Parse(%q): %v", c.in, err)
			continue
		}
		if got != c.want {
			t.Errorf("Parse(%q) =\n %+v, want\n %+v", c.in, got, c.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, c := range []struct{ in, provider, want string }{
		{"", "", "empty"},
		{"s3:///prefix", "", "names no bucket"},
		{"gs://", "", "names no bucket"},
		{"ftp://x/y", "", `scheme "ftp"`},
		{"s3://b/p", "google", `provider is "google"`},
		{"gs://b/p", "azure", `provider is "azure"`},
		{"https://acct.blob.core.windows.net/", "", "names no container"},
		{"https://acct.blob.core.windows.net", "", "names no container"},
		{"http://localhost:10000/account", "", "emulator URL"},
		{"https://minio.example.com/", "", "emulator URL"},
		{"s3://b/%zz", "", "not a URL"},
		{"http://0/%00/0", "", "control character U+0000"},
		{"s3://b/log%0Aprefix", "", "control character U+000A"},
		{"gs://b/%7F", "", "control character U+007F"},
	} {
		_, err := Parse(c.in, c.provider)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Parse(%q, %q) = %v, want an error containing %q", c.in, c.provider, err, c.want)
		}
	}
}

func TestJoinAndString(t *testing.T) {
	loc, err := Parse("s3://bucket/base/", "")
	if err != nil {
		t.Fatal(err)
	}
	if got := loc.Join("pg-1", "wals", "0000000100000000", "000000010000000000000001"); got != "base/pg-1/wals/0000000100000000/000000010000000000000001" {
		t.Errorf("Join = %q", got)
	}
	// An empty component (a .history file's hash dir) adds nothing, as in os.path.join.
	if got := loc.Join("pg-1", "wals", "", "00000002.history"); got != "base/pg-1/wals/00000002.history" {
		t.Errorf("Join with an empty part = %q", got)
	}
	root := Location{Provider: "s3", Bucket: "b"}
	if got := root.Join("pg-1/", "wals"); got != "pg-1/wals" {
		t.Errorf("Join at the root = %q", got)
	}
	for in, want := range map[string]string{
		"s3://bucket/base/": "s3://bucket/base",
		"gs://b":            "gs://b",
		"https://console.cloud.google.com/storage/browser/b/p": "gs://b/p",
		"http://127.0.0.1:10000/devstoreaccount1/wal/x":        "http://127.0.0.1:10000/devstoreaccount1/wal/x",
	} {
		loc, err := Parse(in, "")
		if err != nil {
			t.Fatal(err)
		}
		if loc.String() != want {
			t.Errorf("String(%q) = %q, want %q", in, loc.String(), want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"s3://b/p", "gs://b", "https://a.blob.core.windows.net/c/p", "http://h:1/a/c/p",
		"https://console.cloud.google.com/storage/browser/b/p", "s3://", "http://[::1]:80/a/b/c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		loc, err := Parse(in, "")
		if err != nil {
			return
		}
		if loc.Bucket == "" {
			t.Fatalf("%q parsed without a bucket: %+v", in, loc)
		}
		if strings.HasPrefix(loc.Prefix, "/") || strings.HasSuffix(loc.Prefix, "/") {
			t.Fatalf("%q gave prefix %q with a leading or trailing slash", in, loc.Prefix)
		}
		if again, err := Parse(loc.String(), loc.Provider); err != nil || again.Bucket != loc.Bucket || again.Prefix != loc.Prefix {
			t.Fatalf("%q → %q does not parse back the same: %+v, %v", in, loc.String(), again, err)
		}
	})
}
