package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const secretDoc = `apiVersion: v1
kind: Secret
metadata:
  name: creds
stringData:
  ACCESS_KEY_ID: PLANTED-CLI-SECRET
  ACCESS_SECRET_KEY: PLANTED-CLI-SECRET
`

const keysStore = `apiVersion: barmancloud.cnpg.io/v1
kind: ObjectStore
metadata:
  name: %s
spec:
  configuration:
    destinationPath: s3://pg-backups/db
    s3Credentials:
      accessKeyId: {name: creds, key: ACCESS_KEY_ID}
      secretAccessKey: {name: creds, key: %s}
`

func storeDoc(name, secretKey string) string {
	return strings.Replace(strings.Replace(keysStore, "%s", name, 1), "%s", secretKey, 1)
}

const halfKeysStore = `apiVersion: barmancloud.cnpg.io/v1
kind: ObjectStore
metadata:
  name: half
spec:
  configuration:
    destinationPath: s3://pg-backups/db
    s3Credentials:
      accessKeyId: {name: creds, key: ACCESS_KEY_ID}
`

func writeFile(t *testing.T, dir, rel, content string) string {
	t.Helper()
	p := filepath.Join(dir, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func validate(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(append([]string{"validate"}, args...), strings.NewReader(stdin), &out, &errOut)
	if strings.Contains(out.String()+errOut.String(), "PLANTED-CLI-SECRET") {
		t.Errorf("a Secret value reached the output:\n%s%s", out.String(), errOut.String())
	}
	return code, out.String(), errOut.String()
}

func TestValidateExamples(t *testing.T) {
	code, out, errOut := validate(t, "", "-f", "../../examples")
	if code != 0 || out != "" {
		t.Fatalf("examples: exit %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(errOut, "ObjectStores, 0 denials, 0 warnings") || strings.Contains(errOut, " 0 ObjectStores") {
		t.Errorf("summary: %s", errOut)
	}
}

func TestValidateDeniedText(t *testing.T) {
	dir := t.TempDir()
	f := writeFile(t, dir, "stores.yaml", secretDoc+"---\n"+halfKeysStore+"---\n"+storeDoc("good", "ACCESS_SECRET_KEY"))
	code, out, errOut := validate(t, "", "-f", f)
	want := f + ":2: ObjectStore/half: DENY spec.configuration.s3Credentials.secretAccessKey: Required value: set secretAccessKey together with accessKeyId\n"
	if code != 1 || out != want {
		t.Fatalf("exit %d, output\n%s\nwant\n%s\nstderr: %s", code, out, want, errOut)
	}
}

// TestValidateZeroMaxParallel: offline, wal.maxParallel: 0 is refused as the CRD refuses it (minimum 1),
// and an absent maxParallel is not.
func TestValidateZeroMaxParallel(t *testing.T) {
	zero := secretDoc + "---\n" + storeDoc("zero", "ACCESS_SECRET_KEY") + "    wal:\n      maxParallel: 0\n"
	code, out, _ := validate(t, zero, "-f", "-")
	want := "<stdin>:2: ObjectStore/zero: DENY spec.configuration.wal.maxParallel: Invalid value: 0: must be at least 1; omit it to archive one WAL file at a time\n"
	if code != 1 || out != want {
		t.Fatalf("exit %d, output\n%s\nwant\n%s", code, out, want)
	}
	absent := secretDoc + "---\n" + storeDoc("absent", "ACCESS_SECRET_KEY") + "    wal:\n      compression: gzip\n"
	if code, out, _ := validate(t, absent, "-f", "-"); code != 0 || out != "" {
		t.Fatalf("absent: exit %d, output\n%s", code, out)
	}
}

func TestValidateStdinWarnAndSecretChecks(t *testing.T) {
	input := secretDoc + "---\n" + storeDoc("typo", "SECRET_ACCESS_KEY")
	code, out, _ := validate(t, input, "-f", "-")
	want := "<stdin>:2: ObjectStore/typo: WARN spec.configuration.s3Credentials.secretAccessKey.key: Secret \"creds\" has no key \"SECRET_ACCESS_KEY\"\n"
	if code != 0 || out != want {
		t.Fatalf("warn: exit %d, output\n%s\nwant\n%s", code, out, want)
	}
	code, out, _ = validate(t, input, "-f", "-", "--secret-checks=deny")
	if code != 1 || !strings.Contains(out, ": DENY spec.configuration.s3Credentials.secretAccessKey.key: Invalid value: ") {
		t.Fatalf("deny: exit %d, output\n%s", code, out)
	}
	code, out, _ = validate(t, input, "-f", "-", "--secret-checks", "off")
	if code != 0 || out != "" {
		t.Fatalf("off: exit %d, output\n%s", code, out)
	}
}

func TestValidateNamespaces(t *testing.T) {
	// The Secret is in "default"; a store in another namespace cannot see it, and that namespace has no
	// Secret in the input, so nothing is reported. With --namespace both land in "prod" and the key is found.
	storeElsewhere := strings.Replace(storeDoc("elsewhere", "ACCESS_SECRET_KEY"), "metadata:\n", "metadata:\n  namespace: other\n", 1)
	code, out, _ := validate(t, secretDoc+"---\n"+storeElsewhere, "-f", "-")
	if code != 0 || out != "" {
		t.Fatalf("other namespace: exit %d\n%s", code, out)
	}
	missing := storeDoc("missing", "ACCESS_SECRET_KEY")
	missing = strings.ReplaceAll(missing, "name: creds", "name: other-creds")
	code, out, _ = validate(t, secretDoc+"---\n"+missing, "-f", "-", "--namespace", "prod")
	if code != 0 || !strings.Contains(out, `WARN spec.configuration.s3Credentials.accessKeyId.name: Secret "other-creds" does not exist in this namespace`) {
		t.Fatalf("missing Secret: exit %d\n%s", code, out)
	}
}

func TestValidateJSONDirectoriesAndMultiDoc(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "a/secret.yaml", secretDoc)
	writeFile(t, dir, "a/b/stores.json", `{"apiVersion":"v1","kind":"List","items":[`+
		`{"apiVersion":"barmancloud.cnpg.io/v1","kind":"ObjectStore","metadata":{"name":"bad"},"spec":{"retentionPolicy":"30y","configuration":{"destinationPath":"s3://pg-backups","s3Credentials":{"inheritFromIAMRole":true}}}},`+
		`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"skipped"}}]}`)
	writeFile(t, dir, "c.yaml", storeDoc("good", "ACCESS_SECRET_KEY")+"---\n"+storeDoc("typo", "NOPE"))
	code, out, errOut := validate(t, "", "-f", dir, "-o", "json")
	if code != 1 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	var rep report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if rep.ObjectStores != 3 || rep.Denied != 1 || rep.Warnings != 1 || len(rep.Findings) != 2 {
		t.Fatalf("report %+v", rep)
	}
	deny, warn := rep.Findings[0], rep.Findings[1]
	if deny.File != filepath.Join(dir, "a/b/stores.json") || deny.Document != "1.1" || deny.Name != "bad" || deny.Namespace != "default" ||
		deny.Level != "deny" || deny.Field != "spec.retentionPolicy" || !strings.HasPrefix(deny.Message, `Invalid value: "30y": `) {
		t.Errorf("deny finding %+v", deny)
	}
	if warn.File != filepath.Join(dir, "c.yaml") || warn.Document != "2" || warn.Level != "warn" || warn.Field != "spec.configuration.s3Credentials.secretAccessKey.key" {
		t.Errorf("warn finding %+v", warn)
	}
}

func TestValidateDecodingProblems(t *testing.T) {
	typo := strings.Replace(storeDoc("typo", "ACCESS_SECRET_KEY"), "s3Credentials:", "s3credentials:", 1)
	code, out, _ := validate(t, secretDoc+"---\n"+typo, "-f", "-")
	if code != 1 || !strings.Contains(out, "WARN spec.configuration.s3credentials: unknown field") ||
		!strings.Contains(out, "DENY spec.configuration: Required value: set exactly one of") {
		t.Fatalf("unknown field: exit %d\n%s", code, out)
	}
	wrongType := strings.Replace(halfKeysStore, "destinationPath: s3://pg-backups/db", "destinationPath: [s3]", 1)
	code, out, _ = validate(t, wrongType, "-f", "-")
	if code != 1 || !strings.Contains(out, "DENY spec.configuration.destinationPath: cannot be decoded") {
		t.Fatalf("wrong type: exit %d\n%s", code, out)
	}
	dup := storeDoc("same", "ACCESS_SECRET_KEY")
	code, out, _ = validate(t, secretDoc+"---\n"+dup+"---\n"+dup, "-f", "-")
	if code != 0 || !strings.Contains(out, "<stdin>:3: ObjectStore/same: WARN metadata.name: ObjectStore default/same is also defined at <stdin>:2") {
		t.Fatalf("duplicate: exit %d\n%s", code, out)
	}
}

func TestValidateUsageErrors(t *testing.T) {
	dir := t.TempDir()
	broken := writeFile(t, dir, "broken.yaml", "kind: [\n")
	for name, args := range map[string][]string{
		"no input":       {},
		"positional":     {"examples"},
		"bad output":     {"-f", "-", "-o", "yaml"},
		"bad checks":     {"-f", "-", "--secret-checks", "strict"},
		"unknown flag":   {"-f", "-", "--strict"},
		"missing file":   {"-f", filepath.Join(dir, "absent.yaml")},
		"unreadable":     {"-f", broken},
		"empty ns":       {"-f", "-", "--namespace="},
		"stdin twice":    {"-f", "-", "-f", "-"},
		"not an object":  {"-f", writeFile(t, dir, "scalar.yaml", "hello\n")},
		"bad separator":  {"-f", writeFile(t, dir, "sep.yaml", "a: 1\n--- b: 2\n")},
		"json not valid": {"-f", writeFile(t, dir, "bad.json", `{"kind": }`)},
	} {
		t.Run(name, func(t *testing.T) {
			code, out, errOut := validate(t, "", args...)
			if code != 2 || out != "" || errOut == "" {
				t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
			}
		})
	}
	code, _, errOut := validate(t, "", "-f", broken)
	if code != 2 || !strings.HasPrefix(errOut, "validate: "+broken+":1") {
		t.Errorf("the reason names the file and document: %q", errOut)
	}
	if code, _, _ := validate(t, "", "-h"); code != 0 {
		t.Errorf("-h: exit %d", code)
	}
}

// TestValidateRefusedManifests: offline, each refused manifest of the rule engine exits 1 with the message
// its "# error:" line quotes, the one the webhook returns.
func TestValidateRefusedManifests(t *testing.T) {
	files, err := filepath.Glob("../../webhooks/objectstore/testdata/refused/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no refused manifests: %v", err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		_, rest, _ := strings.Cut(string(data), "\n# error: ")
		msg, _, _ := strings.Cut(rest, "\n")
		code, out, _ := validate(t, "", "-f", f)
		if code != 1 || !strings.Contains(out, ": DENY "+msg+"\n") {
			t.Errorf("%s: exit %d, output\n%s\nwant the line ending in DENY %s", filepath.Base(f), code, out, msg)
		}
	}
}
