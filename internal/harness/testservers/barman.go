package testservers

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// BarmanTool is the path of a barman-cloud tool (barman-cloud-backup-delete, ...): under BARMAN_BINDIR,
// which the Makefile exports, or on PATH.
func BarmanTool(t testing.TB, name string) string {
	t.Helper()
	if dir := os.Getenv("BARMAN_BINDIR"); dir != "" {
		return filepath.Join(dir, name)
	}
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("testservers: %s not found: set BARMAN_BINDIR or run `hack/tools/install.sh barman` (Debian's barman-cli-cloud): %v", name, err)
	}
	return p
}
