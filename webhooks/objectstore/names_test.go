package objectstore

import "testing"

func TestNameForms(t *testing.T) {
	for _, c := range []struct {
		name  string
		check func(string) bool
		ok    []string
		bad   []string
	}{
		{"role ARN", isRoleARN,
			[]string{"arn:aws:iam::123456789012:role/backup", "arn:aws-cn:iam::123456789012:role/a/b/c+=,.@_-d"},
			[]string{"", "arn:aws:iam::123456789012:role/", "arn:aws:iam::123456789012:role//x", "arn:aws:iam:eu-west-1:123456789012:role/x",
				"arn:aws:iam::12345678901a:role/x", "arn:aws:sts::123456789012:assumed-role/x/y", "arn:aws:iam::123456789012:role/a b"}},
		{"service account", isGCPServiceAccount,
			[]string{"pg-backup@my-project.iam.gserviceaccount.com", "a23456@p23456.iam.gserviceaccount.com"},
			[]string{"pg-backup@my-project.gserviceaccount.com", "1pg-backup@my-project.iam.gserviceaccount.com",
				"pg-backup-@my-project.iam.gserviceaccount.com", "pg-backup@my-project-.iam.gserviceaccount.com",
				"a234567890123456789012345678901@my-project.iam.gserviceaccount.com"}},
		{"GUID", isGUID,
			[]string{"3f2504e0-4f89-11d3-9a0c-0305e82c3301", "3F2504E0-4F89-11D3-9A0C-0305E82C3301"},
			[]string{"3f2504e04f8911d39a0c0305e82c3301", "{3f2504e0-4f89-11d3-9a0c-0305e82c3301}", "3f2504e0-4f89-11d3-9a0c-0305e82c330g"}},
		{"Secret name", isDNSSubdomain,
			[]string{"creds", "aws.creds-1"},
			[]string{"", "Creds", "-creds", "creds.", "a..b", "creds_1"}},
		{"Secret key", isSecretKey,
			[]string{"ca.crt", "AWS_SECRET-1"},
			[]string{"", ".", "..", "a/b", "a b"}},
		{"retention policy", isRetentionPolicy,
			[]string{"1d", "30d", "12w", "6m", "100d"},
			[]string{"", "d", "0d", "30", "30y", "30dd", " 30d", "-1d"}},
		{"Azure container", azureContainer,
			[]string{"abc", "pg-backups", "a1-b2-c3"},
			[]string{"ab", "-abc", "abc-", "a--b", "ABC", "a_b"}},
		{"Azure account", azureAccount,
			[]string{"abc", "devstoreaccount1"},
			[]string{"ab", "a-b-c", "Account", "abcdefghijklmnopqrstuvwxy"}},
		{"IPv4", isIPv4,
			[]string{"192.168.1.1", "1.2.3.4"},
			[]string{"1.2.3", "1.2.3.4.5", "1..3.4", "1234.1.1.1", "a.b.c.d"}},
	} {
		for _, s := range c.ok {
			if !c.check(s) {
				t.Errorf("%s: %q refused", c.name, s)
			}
		}
		for _, s := range c.bad {
			if c.check(s) {
				t.Errorf("%s: %q accepted", c.name, s)
			}
		}
	}
}

func TestClip(t *testing.T) {
	for _, c := range []struct {
		in  string
		max int
	}{{"short", 20}, {"a rather long value that must be cut", 12}, {"\x00\x01\x02\x03\x04\x05\x06", 12}, {"ééééééééé", 9}, {"x", 2}} {
		got := q(c.in, c.max)
		if len(got) > c.max && len(got) > 5 {
			t.Errorf("q(%q, %d) = %s, longer than %d", c.in, c.max, got, c.max)
		}
	}
	if got := displayURL("https://user:pw@host.example.com/c?sig=x#f"); got != "https://host.example.com/c" {
		t.Errorf("displayURL: %s", got)
	}
	if got := pathKey("a\nb"); got != "a?b" {
		t.Errorf("pathKey: %q", got)
	}
}
