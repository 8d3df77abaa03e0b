package localcluster

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// The API server loads webhook configurations through informers, so for a moment after they are created
// it still admits without calling them; a test's first apply would then pass by luck. Each informer delivers
// in order, so once a probe configuration created after ours takes effect, ours has too. A probe's webhook
// points at a path the webhook does not serve and fails closed, so "in effect" is visible as a refused
// dry-run ConfigMap that carries its label; nothing is stored.
const (
	probeName  = "localcluster-probe"
	probeLabel = "localcluster.objectstore-webhook.io/probe"
)

// probeTimeout bounds each wait for an informer; they normally catch up within a second.
const probeTimeout = 60 * time.Second

func (c *Cluster) waitWebhookConfigsActive(ctx context.Context) error {
	url := "https://127.0.0.1:" + strconv.Itoa(c.webhookPort) + "/localcluster-probe"
	hook := func(kind string) (string, admissionregistrationv1.WebhookClientConfig, []admissionregistrationv1.RuleWithOperations, *admissionregistrationv1.FailurePolicyType, *admissionregistrationv1.SideEffectClass, *metav1.LabelSelector) {
		fail := admissionregistrationv1.Fail
		none := admissionregistrationv1.SideEffectClassNone
		return kind + ".probe.localcluster.objectstore-webhook.io",
			admissionregistrationv1.WebhookClientConfig{URL: &url, CABundle: c.caPEM},
			[]admissionregistrationv1.RuleWithOperations{{
				Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
				Rule: admissionregistrationv1.Rule{
					APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"configmaps"},
				},
			}},
			&fail, &none,
			&metav1.LabelSelector{MatchLabels: map[string]string{probeLabel: kind}}
	}
	name, cc, rules, fail, side, sel := hook("validating")
	vwc := &admissionregistrationv1.ValidatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: probeName},
		Webhooks: []admissionregistrationv1.ValidatingWebhook{{
			Name: name, ClientConfig: cc, Rules: rules, FailurePolicy: fail, SideEffects: side,
			ObjectSelector: sel, AdmissionReviewVersions: []string{"v1"},
		}},
	}
	name, cc, rules, fail, side, sel = hook("mutating")
	mwc := &admissionregistrationv1.MutatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: probeName},
		Webhooks: []admissionregistrationv1.MutatingWebhook{{
			Name: name, ClientConfig: cc, Rules: rules, FailurePolicy: fail, SideEffects: side,
			ObjectSelector: sel, AdmissionReviewVersions: []string{"v1"},
		}},
	}
	probes := []client.Object{vwc, mwc}
	for _, p := range probes {
		if err := c.client.Create(ctx, p); err != nil {
			return fmt.Errorf("creating the readiness probe %T: %w", p, err)
		}
	}
	for _, kind := range []string{"validating", "mutating"} {
		if err := c.waitProbe(ctx, kind, true); err != nil {
			return err
		}
	}
	for _, p := range probes {
		if err := c.client.Delete(ctx, p); err != nil {
			return fmt.Errorf("deleting the readiness probe %T: %w", p, err)
		}
	}
	for _, kind := range []string{"validating", "mutating"} {
		if err := c.waitProbe(ctx, kind, false); err != nil {
			return err
		}
	}
	return nil
}

// waitProbe dry-runs a ConfigMap that only the probe webhook of kind matches until it is refused (active)
// or admitted (removed).
func (c *Cluster) waitProbe(ctx context.Context, kind string, active bool) error {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	for {
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{
			Name: probeName, Namespace: metav1.NamespaceDefault, Labels: map[string]string{probeLabel: kind},
		}}
		err := c.client.Create(ctx, cm, client.DryRunAll)
		refused := err != nil && strings.Contains(err.Error(), kind+".probe.localcluster.objectstore-webhook.io")
		if refused == active && (active || err == nil) {
			return nil
		}
		select {
		case <-ctx.Done():
			state := "take effect"
			if !active {
				state = "be removed"
			}
			return fmt.Errorf("the API server did not let the %s webhook configurations %s within %s (last answer: %v)", kind, state, probeTimeout, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}
