//go:build integration

package e2e

import (
	"context"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

const outageStore = `apiVersion: barmancloud.cnpg.io/v1
kind: ObjectStore
metadata:
  name: during-outage
spec:
  configuration:
    destinationPath: s3://pg-backups/db
    s3Credentials:
      inheritFromIAMRole: true
`

const outageCluster = `apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata:
  name: during-outage
spec:
  instances: 1
`

// TestWebhookOutage stops the webhook and checks that the API server answers by each webhook's
// failurePolicy as shipped in manifests/ (ObjectStores fail closed with an error naming the webhook,
// Clusters are admitted), then restarts the webhook on the same port with the same certificates and checks
// that ObjectStores are admitted again.
func TestWebhookOutage(t *testing.T) {
	ns := namespace(t)
	ctx := context.Background()
	policy := failurePolicy(t, "objectstores.objectstore-webhook.io")

	if err := cluster.StopWebhook(); err != nil {
		t.Fatal(err)
	}
	restarted := false
	restart := func() {
		restarted = true
		ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		defer cancel()
		if err := cluster.StartWebhook(ctx); err != nil {
			t.Fatalf("restarting the webhook: %v", err)
		}
	}
	t.Cleanup(func() {
		if !restarted {
			restart()
		}
	})

	res := kubectlIn(t, []byte(outageStore), "apply", "-n", ns, "-f", "-")
	switch policy {
	case admissionregistrationv1.Fail:
		if res.ExitCode == 0 {
			t.Fatalf("admitted while the webhook was down, though its failurePolicy is Fail:\n%s", res.Stdout)
		}
		if !strings.Contains(res.Stderr, `failed calling webhook "objectstores.objectstore-webhook.io"`) {
			t.Errorf("the error does not name the webhook:\n%s", res.Stderr)
		}
		golden(t, "outage/objectstore.txt", strings.ReplaceAll(res.Stderr, strconv.Itoa(cluster.WebhookPort()), "PORT"))
		assertNotStored(t, ns, "during-outage")
	default:
		if res.ExitCode != 0 {
			t.Fatalf("refused while the webhook was down, though its failurePolicy is %s:\n%s", policy, res.Stderr)
		}
	}

	for _, hook := range []string{"clusters.mutate.objectstore-webhook.io", "clusters.validate.objectstore-webhook.io"} {
		if p := failurePolicy(t, hook); p != admissionregistrationv1.Ignore {
			t.Fatalf("%s has failurePolicy %s; this test expects Ignore for Cluster webhooks", hook, p)
		}
	}
	res = kubectlIn(t, []byte(outageCluster), "apply", "-n", ns, "-f", "-")
	if res.ExitCode != 0 || res.Stdout != "cluster.postgresql.cnpg.io/during-outage created\n" {
		t.Errorf("a Cluster was not admitted while the webhook was down (failurePolicy Ignore): exit %d\n%s%s", res.ExitCode, res.Stdout, res.Stderr)
	}

	restart()
	res = kubectlIn(t, []byte(outageStore), "apply", "-n", ns, "-f", "-")
	if res.ExitCode != 0 || res.Stdout != "objectstore.barmancloud.cnpg.io/during-outage created\n" {
		t.Fatalf("after the restart: exit %d\n%s%s", res.ExitCode, res.Stdout, res.Stderr)
	}
}

// failurePolicy reads a webhook's failurePolicy from the configurations installed from manifests/.
func failurePolicy(t *testing.T, name string) admissionregistrationv1.FailurePolicyType {
	t.Helper()
	ctx := context.Background()
	var vwcs admissionregistrationv1.ValidatingWebhookConfigurationList
	var mwcs admissionregistrationv1.MutatingWebhookConfigurationList
	if err := cluster.Client().List(ctx, &vwcs, client.MatchingLabels{"app.kubernetes.io/name": "objectstore-webhook"}); err != nil {
		t.Fatal(err)
	}
	if err := cluster.Client().List(ctx, &mwcs, client.MatchingLabels{"app.kubernetes.io/name": "objectstore-webhook"}); err != nil {
		t.Fatal(err)
	}
	for _, c := range vwcs.Items {
		for _, w := range c.Webhooks {
			if w.Name == name && w.FailurePolicy != nil {
				return *w.FailurePolicy
			}
		}
	}
	for _, c := range mwcs.Items {
		for _, w := range c.Webhooks {
			if w.Name == name && w.FailurePolicy != nil {
				return *w.FailurePolicy
			}
		}
	}
	t.Fatalf("no installed webhook %s", name)
	return ""
}

// TestWebhookHangs freezes the webhook (SIGSTOP: its port still accepts connections, nothing answers) and
// checks that the API server gives up after the shipped timeoutSeconds and fails the write closed, naming
// the webhook, instead of hanging kubectl.
func TestWebhookHangs(t *testing.T) {
	ns := namespace(t)
	if err := cluster.SignalWebhook(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	resumed := false
	resume := func() {
		resumed = true
		if err := cluster.SignalWebhook(syscall.SIGCONT); err != nil {
			t.Fatalf("resuming the webhook: %v", err)
		}
	}
	t.Cleanup(func() {
		if !resumed {
			resume()
		}
	})
	res := kubectlIn(t, []byte(outageStore), "apply", "-n", ns, "-f", "-")
	resume()
	if res.ExitCode == 0 {
		t.Fatalf("admitted while the webhook hung:\n%s", res.Stdout)
	}
	if !strings.Contains(res.Stderr, `failed calling webhook "objectstores.objectstore-webhook.io"`) {
		t.Errorf("the error does not name the webhook:\n%s", res.Stderr)
	}
	golden(t, "outage/hang.txt", strings.ReplaceAll(res.Stderr, strconv.Itoa(cluster.WebhookPort()), "PORT"))
	assertNotStored(t, ns, "during-outage")

	res = kubectlIn(t, []byte(outageStore), "apply", "-n", ns, "-f", "-")
	if res.ExitCode != 0 {
		t.Fatalf("after SIGCONT: exit %d\n%s", res.ExitCode, res.Stderr)
	}
}
