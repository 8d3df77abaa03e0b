// Command wal-archiver streams PostgreSQL WAL into an object store in barman-cloud's layout (`stream`),
// fetches it back for restore_command (`restore`) and checks a store is usable (`check`).
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "wal-archiver: not built yet")
	os.Exit(2)
}
