// Command wal-archiver streams PostgreSQL WAL into an object store in barman-cloud's layout (`stream`),
// fetches it back for restore_command (`restore`) and checks a store is usable (`check`).
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/objectstore-webhook/objectstore-webhook/internal/version"
)

const usage = `wal-archiver: stream PostgreSQL WAL to S3, Azure Blob Storage or Google Cloud Storage

Usage:
  wal-archiver stream [flags]                 archive WAL over a physical replication slot
  wal-archiver restore [flags] WALNAME DEST   restore_command = 'wal-archiver restore %f %p'
  wal-archiver check [flags]                  check the store is reachable and writable
  wal-archiver backup [flags]                 take a base backup now (BASE_BACKUP) and print its ID
  wal-archiver retention [--dry-run] [flags]  apply the retention policy to base backups and WAL
  wal-archiver restore-backup [flags] DEST    restore a base backup (--backup-id, --target-time) into an empty PGDATA
  wal-archiver version                        print the version

Every setting is a flag or its environment variable (the flag wins); run 'wal-archiver COMMAND -h'.
`

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		io.WriteString(stderr, usage)
		return 2
	}
	switch args[0] {
	case "stream":
		return runStream(args[1:], stderr)
	case "restore":
		return runRestore(args[1:], stderr)
	case "backup":
		return runBackup(args[1:], stdout, stderr)
	case "check":
		return runCheck(args[1:], stdout, stderr)
	case "retention":
		return runRetention(args[1:], stdout, stderr)
	case "restore-backup":
		return runRestoreBackup(args[1:], stdout, stderr)
	case "version", "--version":
		fmt.Fprintln(stdout, "wal-archiver", version.String())
		return 0
	case "help", "-h", "--help":
		io.WriteString(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "wal-archiver: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
}
