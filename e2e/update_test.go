//go:build integration

package e2e

import (
	"strings"
	"testing"
)

const storeV1 = `apiVersion: barmancloud.cnpg.io/v1
kind: ObjectStore
metadata:
  name: moving
spec:
  configuration:
    destinationPath: DEST
    s3Credentials:
      accessKeyId: {name: backup-creds, key: ACCESS_KEY_ID}
      SECRET
`

func movingStore(dest string, withSecretKey bool) []byte {
	secret := "secretAccessKey: {name: backup-creds, key: ACCESS_SECRET_KEY}"
	if !withSecretKey {
		secret = "sessionToken: {name: backup-creds, key: ACCESS_KEY_ID}"
	}
	return []byte(strings.NewReplacer("DEST", dest, "SECRET", secret).Replace(storeV1))
}

// TestUpdate: moving a store's destinationPath is admitted with a warning (the WAL history splits), and a
// later update that breaks the store is refused and leaves the stored one as it was.
func TestUpdate(t *testing.T) {
	ns := namespace(t)
	if res := kubectl(t, "apply", "-n", ns, "-f", "testdata/secrets.yaml"); res.ExitCode != 0 {
		t.Fatalf("applying the fixture Secret: %+v", res)
	}
	res := kubectlIn(t, movingStore("s3://pg-backups/db", true), "apply", "-n", ns, "-f", "-")
	if res.ExitCode != 0 || res.Stderr != "" {
		t.Fatalf("create: exit %d, stderr %q", res.ExitCode, res.Stderr)
	}

	res = kubectlIn(t, movingStore("s3://pg-backups/db-v2", true), "apply", "-n", ns, "-f", "-")
	if res.ExitCode != 0 {
		t.Fatalf("moving destinationPath was refused:\n%s", res.Stderr)
	}
	if res.Stdout != "objectstore.barmancloud.cnpg.io/moving configured\n" {
		t.Errorf("stdout %q", res.Stdout)
	}
	if !strings.Contains(res.Stderr, "Warning: spec.configuration.destinationPath") {
		t.Errorf("no destinationPath warning: %q", res.Stderr)
	}
	golden(t, "update/destination-moved.txt", res.Stderr)
	assertDestination(t, ns, "s3://pg-backups/db-v2")

	res = kubectlIn(t, movingStore("s3://pg-backups/db-v3", false), "apply", "-n", ns, "-f", "-")
	if res.ExitCode == 0 {
		t.Fatalf("an update without secretAccessKey was admitted:\n%s", res.Stdout)
	}
	golden(t, "update/broken-update.txt", res.Stderr)
	assertDestination(t, ns, "s3://pg-backups/db-v2")
}

func assertDestination(t *testing.T, ns, want string) {
	t.Helper()
	res := kubectl(t, "get", "objectstores.barmancloud.cnpg.io", "moving", "-n", ns, "-o", "jsonpath={.spec.configuration.destinationPath}")
	if res.ExitCode != 0 || res.Stdout != want {
		t.Errorf("stored destinationPath %q (exit %d, %s), want %q", res.Stdout, res.ExitCode, res.Stderr, want)
	}
}
