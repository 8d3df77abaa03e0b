package testservers

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// RunWithArchiver is a TestMain body: BuildArchiver, *dir set to the binary's directory, the tests, and
// the directory's removal.
func RunWithArchiver(m *testing.M, dir *string) int {
	bin, remove, err := BuildArchiver()
	if err != nil {
		fmt.Fprintln(os.Stderr, "building wal-archiver for the integration tests:", err)
		return 1
	}
	defer remove()
	*dir = filepath.Dir(bin)
	return m.Run()
}
