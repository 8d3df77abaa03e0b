// Command objectstore-webhook validates CloudNativePG ObjectStores and wires Clusters and their pods to
// them: `serve` is the admission webhook, `validate` and `inject` run the same decisions offline.
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/objectstore-webhook/objectstore-webhook/internal/version"
)

const usage = `objectstore-webhook: admission webhook for CloudNativePG backups to object storage

Usage:
  objectstore-webhook serve [flags]             run the HTTPS admission webhook
  objectstore-webhook validate -f PATH... [-o text|json]
                                                check ObjectStores offline (files, directories, -)
  objectstore-webhook inject -f PATH...         print Pods and Clusters as the webhook would mutate them
  objectstore-webhook version                   print the version

Run 'objectstore-webhook COMMAND -h' for the flags of a command.
`

func main() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }

// run returns the process exit code: 0 success, 1 a verdict of failure, 2 usage or input errors.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "serve":
		return runServe(args[1:], stderr)
	case "validate":
		return runValidate(args[1:], stdin, stdout, stderr)
	case "inject":
		return runInject(args[1:], stdin, stdout, stderr)
	case "version", "--version":
		fmt.Fprintln(stdout, "objectstore-webhook", version.String())
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "objectstore-webhook: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
}
