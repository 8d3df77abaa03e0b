package main

import (
	"context"
	"fmt"
	"io"

	"sigs.k8s.io/yaml"

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

func runInject(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cmd := newDocumentsCommand("inject", injectUsage, stderr)
	var conf pod.Config
	conf.AddFlags(cmd.fs, true)
	cmd.fs.StringVar(&conf.InjectionFailure, "injection-failure", "admit",
		"admit: report a pod that cannot be injected and go on; deny: also exit with status 1")
	if code, ok := cmd.parse(args); !ok {
		return code
	}
	opts, err := conf.Options(nil)
	if err != nil {
		return cmd.usageError(err.Error())
	}
	deny, err := conf.DenyOnFailure()
	switch inputErr := cmd.inputError(); {
	case err != nil:
		return cmd.usageError(err.Error())
	case inputErr != "":
		return cmd.usageError(inputErr)
	}
	docs, ok := cmd.read(stdin)
	if !ok {
		return 2
	}
	out, notes, err := injectDocuments(context.Background(), docs, *cmd.namespace, opts)
	if err != nil {
		return cmd.fail(err)
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
			return cmd.fail(err)
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
