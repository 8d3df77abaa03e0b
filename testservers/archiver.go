package testservers

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// RunWithArchiver is a TestMain body: it builds cmd/wal-archiver into a new directory the postgres OS
// user can read (restore_command runs as postgres), sets *dir to it, runs the tests and removes it.
func RunWithArchiver(m *testing.M, dir *string) int {
	d, err := os.MkdirTemp("", "wal-archiver-bin-")
	if err == nil {
		err = os.Chmod(d, 0o755)
	}
	if err == nil {
		cmd := exec.Command("go", "build", "-o", filepath.Join(d, "wal-archiver"), "github.com/objectstore-webhook/objectstore-webhook/cmd/wal-archiver")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		err = cmd.Run()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "building wal-archiver for the integration tests:", err)
		return 1
	}
	defer os.RemoveAll(d)
	*dir = d
	return m.Run()
}
