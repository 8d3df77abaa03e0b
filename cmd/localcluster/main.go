// Command localcluster runs objectstore-webhook on one machine, for `make run`: a local kube-apiserver and
// etcd with the ObjectStore CRD and the webhook configurations from manifests/base, the real webhook binary
// behind them, and an admin kubeconfig. It prints what to paste, then runs until SIGINT or SIGTERM, and
// stops everything it started before it exits.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/go-logr/logr/funcr"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/objectstore-webhook/objectstore-webhook/internal/harness/localcluster"
)

// brokenExample is the store a newcomer applies first: the CRD schema accepts it, the webhook refuses it.
const brokenExample = "e2e/testdata/broken/s3-half-credentials.yaml"

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("localcluster", flag.ContinueOnError)
	fs.SetOutput(stderr)
	root := fs.String("root", "", "the repository checkout (default: found from the working directory)")
	webhook := fs.String("webhook-binary", "", "the objectstore-webhook binary (default: ROOT/bin/objectstore-webhook)")
	kubeconfig := fs.String("kubeconfig", "", "where to write the admin kubeconfig (default: ROOT/bin/kubeconfig)")
	withClusterCRD := fs.Bool("cluster-crd", true, "also install the test CloudNativePG Cluster CRD from e2e/testdata/crd")
	webhookLog := fs.Bool("webhook-log", true, "copy the webhook's log to stderr")
	var webhookArgs multiFlag
	fs.Var(&webhookArgs, "webhook-arg", "an extra flag for `objectstore-webhook serve` (repeatable), e.g. --webhook-arg=--log-level=debug")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	// envtest reports through controller-runtime's logger, e.g. a control-plane start it retries.
	ctrllog.SetLogger(funcr.New(func(prefix, args string) {
		fmt.Fprintln(stderr, "localcluster:", prefix, args)
	}, funcr.Options{}))
	if *root == "" {
		r, err := localcluster.FindRoot()
		if err != nil {
			fmt.Fprintln(stderr, "localcluster:", err)
			return 2
		}
		*root = r
	}
	if *kubeconfig == "" {
		*kubeconfig = filepath.Join(*root, "bin", "kubeconfig")
	}
	opts := localcluster.Options{
		Root:           *root,
		WebhookBinary:  *webhook,
		WebhookArgs:    webhookArgs,
		KubeconfigPath: *kubeconfig,
		Progress:       prefixed(stderr, "localcluster: "),
	}
	if *withClusterCRD {
		opts.ExtraCRDPaths = []string{filepath.Join(*root, "e2e", "testdata", "crd")}
	}
	if *webhookLog {
		opts.WebhookOutput = prefixed(stderr, "webhook: ")
	}

	// Signals are caught from the start, so that a Ctrl-C during start-up also stops what has started.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := os.MkdirAll(filepath.Dir(*kubeconfig), 0o755); err != nil {
		fmt.Fprintln(stderr, "localcluster:", err)
		return 1
	}
	began := time.Now()
	c, err := localcluster.Start(ctx, opts)
	if err != nil {
		fmt.Fprintln(stderr, "localcluster:", err)
		return 1
	}
	fmt.Fprintf(stderr, "localcluster: ready in %s; Ctrl-C stops it\n", time.Since(began).Round(100*time.Millisecond))
	rel, err := filepath.Rel(mustGetwd(), *kubeconfig)
	if err != nil || filepath.IsAbs(rel) || len(rel) > 1 && rel[:2] == ".." {
		rel = *kubeconfig
	} else {
		rel = "$PWD/" + rel
	}
	fmt.Fprintf(stdout, "export KUBECONFIG=%s\n", rel)
	fmt.Fprintf(stdout, "kubectl apply -f %s\n", filepath.Join(relRoot(*root), brokenExample))

	<-ctx.Done()
	stop()
	fmt.Fprintln(stderr, "localcluster: stopping")
	if err := c.Close(); err != nil {
		fmt.Fprintln(stderr, "localcluster:", err)
		return 1
	}
	if err := os.Remove(*kubeconfig); err != nil && !os.IsNotExist(err) {
		fmt.Fprintln(stderr, "localcluster:", err)
	}
	fmt.Fprintln(stderr, "localcluster: stopped")
	return 0
}

func mustGetwd() string {
	wd, err := os.Getwd()
	if err != nil {
		return "/"
	}
	return wd
}

// relRoot is root relative to the working directory when it is below it, so the printed command is short.
func relRoot(root string) string {
	rel, err := filepath.Rel(mustGetwd(), root)
	if err != nil || len(rel) > 1 && rel[:2] == ".." {
		return root
	}
	return rel
}

type multiFlag []string

func (m *multiFlag) String() string     { return fmt.Sprint([]string(*m)) }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }
