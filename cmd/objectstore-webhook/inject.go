package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/objectstore-webhook/objectstore-webhook/internal/docreader"
	"github.com/objectstore-webhook/objectstore-webhook/webhooks/pod"
)

const injectUsage = `Usage: objectstore-webhook inject -f PATH... [--archiver-image IMAGE] [--native-sidecar=true|false]

Prints every input document as YAML, with Clusters and CloudNativePG instance Pods mutated exactly as the
webhook would mutate them (the same JSON patch, applied to each document). The input holds the Pods and
Clusters to mutate and the ObjectStores and ServiceAccounts they refer to; PATH is a file, a directory
(read recursively: *.yaml, *.yml, *.json) or - for standard input.
Warnings, and pods left without the archiver, are reported on standard error.
Exit status: 0 done, 1 a pod could not be injected under --injection-failure=deny, 2 usage or input error.

Flags:
`

// injectPaths is a repeatable -f.
type injectPaths []string

func (p *injectPaths) String() string     { return strings.Join(*p, ",") }
func (p *injectPaths) Set(s string) error { *p = append(*p, s); return nil }

func runInject(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("inject", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, injectUsage); fs.PrintDefaults() }
	var paths injectPaths
	fs.Var(&paths, "f", "file, directory or - (stdin); repeatable")
	namespace := fs.String("namespace", "default", "namespace of the documents that name none")
	var conf pod.Config
	conf.AddFlags(fs, true)
	fs.StringVar(&conf.InjectionFailure, "injection-failure", "admit",
		"admit: report a pod that cannot be injected and go on; deny: also exit with status 1")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	usageError := func(msg string) int {
		fmt.Fprintln(stderr, "inject: "+msg)
		fmt.Fprintln(stderr, "Run 'objectstore-webhook inject -h' for usage.")
		return 2
	}
	opts, err := conf.Options(nil)
	if err != nil {
		return usageError(err.Error())
	}
	deny, err := conf.DenyOnFailure()
	switch {
	case err != nil:
		return usageError(err.Error())
	case fs.NArg() > 0:
		return usageError("unexpected argument " + strconv.Quote(fs.Arg(0)) + "; name inputs with -f")
	case len(paths) == 0:
		return usageError("no input; name files, directories or - with -f")
	case *namespace == "":
		return usageError("--namespace must not be empty")
	}
	docs, err := docreader.Read(paths, stdin)
	if err != nil {
		fmt.Fprintln(stderr, "inject: "+err.Error())
		return 2
	}
	out, notes, err := injectDocuments(context.Background(), docs, *namespace, opts)
	if err != nil {
		fmt.Fprintln(stderr, "inject: "+err.Error())
		return 2
	}
	for i, doc := range out {
		y, err := yaml.JSONToYAML(doc)
		if err != nil {
			fmt.Fprintf(stderr, "inject: %s: %v\n", docs[i].Position(), err)
			return 2
		}
		if i > 0 {
			fmt.Fprintln(stdout, "---")
		}
		if _, err := stdout.Write(y); err != nil {
			fmt.Fprintln(stderr, "inject: "+err.Error())
			return 2
		}
	}
	failed := false
	for _, n := range notes {
		what := "warning"
		if n.Failure != nil {
			what, failed = "not injected ("+n.Failure.Reason+")", true
		}
		fmt.Fprintf(stderr, "%s: %s %s: %s: %s\n", n.Document.Position(), n.Document.Kind, n.Document.Name, what, n.Message)
	}
	if failed && deny {
		return 1
	}
	return 0
}
