package certs

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"
)

// webhookConfig is what publishing needs from a Validating- or MutatingWebhookConfiguration.
type webhookConfig struct {
	kind     string
	name     string
	webhooks []webhookEntry
	patch    func(ctx context.Context, name string, body []byte) error
}

type webhookEntry struct {
	name     string
	caBundle []byte
}

// configs lists our webhook configurations (by label, never by name alone).
func (s *SelfManaged) configs(ctx context.Context) ([]webhookConfig, error) {
	opts := metav1.ListOptions{LabelSelector: s.selector.String()}
	arv1 := s.client.AdmissionregistrationV1()
	vwcs, err := arv1.ValidatingWebhookConfigurations().List(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("listing ValidatingWebhookConfigurations labelled %s: %w", opts.LabelSelector, err)
	}
	mwcs, err := arv1.MutatingWebhookConfigurations().List(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("listing MutatingWebhookConfigurations labelled %s: %w", opts.LabelSelector, err)
	}
	var out []webhookConfig
	for _, c := range vwcs.Items {
		wc := webhookConfig{kind: "ValidatingWebhookConfiguration", name: c.Name, patch: func(ctx context.Context, name string, body []byte) error {
			_, err := arv1.ValidatingWebhookConfigurations().Patch(ctx, name, types.JSONPatchType, body, metav1.PatchOptions{})
			return err
		}}
		for _, w := range c.Webhooks {
			wc.webhooks = append(wc.webhooks, webhookEntry{name: w.Name, caBundle: w.ClientConfig.CABundle})
		}
		out = append(out, wc)
	}
	for _, c := range mwcs.Items {
		wc := webhookConfig{kind: "MutatingWebhookConfiguration", name: c.Name, patch: func(ctx context.Context, name string, body []byte) error {
			_, err := arv1.MutatingWebhookConfigurations().Patch(ctx, name, types.JSONPatchType, body, metav1.PatchOptions{})
			return err
		}}
		for _, w := range c.Webhooks {
			wc.webhooks = append(wc.webhooks, webhookEntry{name: w.Name, caBundle: w.ClientConfig.CABundle})
		}
		out = append(out, wc)
	}
	return out, nil
}

// publish makes every webhook of our configurations trust every CA of bundle. CAs already in a caBundle
// that are still valid are kept after ours: a replica that read the Secret just before a rotation must
// not take the new CA out again. It reports whether at least one configuration was found and all of
// them were brought up to date.
func (s *SelfManaged) publish(ctx context.Context, bundle []*x509.Certificate) (bool, error) {
	cfgs, err := s.configs(ctx)
	if err != nil {
		return false, err
	}
	if len(cfgs) == 0 {
		s.log.Info("no webhook configurations carry the label yet; the CA is not published", "selector", s.selector.String())
		return false, nil
	}
	now := s.cfg.now()
	for _, c := range cfgs {
		var ops []jsonPatchOp
		for i, w := range c.webhooks {
			desired := slices.Clone(bundle)
			for _, old := range parseCerts(w.caBundle) {
				if old.IsCA && now.Before(old.NotAfter) && !containsCert(desired, old) {
					desired = append(desired, old)
				}
			}
			want := encodeCerts(desired)
			if bytes.Equal(want, w.caBundle) {
				continue
			}
			base := fmt.Sprintf("/webhooks/%d", i)
			// The tests make the patch fail, rather than land on the wrong webhook, if the list changed
			// since it was read.
			ops = append(ops, jsonPatchOp{Op: "test", Path: base + "/name", Value: w.name})
			if len(w.caBundle) > 0 {
				ops = append(ops, jsonPatchOp{Op: "test", Path: base + "/clientConfig/caBundle", Value: w.caBundle})
			}
			ops = append(ops, jsonPatchOp{Op: "add", Path: base + "/clientConfig/caBundle", Value: want})
		}
		if len(ops) == 0 {
			continue
		}
		body, err := json.Marshal(ops)
		if err != nil {
			return false, fmt.Errorf("encoding caBundle patch: %w", err)
		}
		if err := c.patch(ctx, c.name, body); err != nil {
			return false, fmt.Errorf("patching caBundle of %s %s: %w", c.kind, c.name, err)
		}
		s.log.Info("published CA bundle", "kind", c.kind, "name", c.name, "cas", len(bundle))
	}
	return true, nil
}

type jsonPatchOp struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value any    `json:"value,omitempty"`
}

// allTrust reports whether every webhook of our (at least one) configurations trusts cert: as a CA in the
// bundle when isCA, otherwise through a bundle CA that signed it.
func (s *SelfManaged) allTrust(ctx context.Context, cert *x509.Certificate, isCA bool) (bool, error) {
	cfgs, err := s.configs(ctx)
	if err != nil {
		return false, err
	}
	if len(cfgs) == 0 {
		return false, nil
	}
	for _, c := range cfgs {
		for _, w := range c.webhooks {
			cas := parseCerts(w.caBundle)
			trusted := slices.ContainsFunc(cas, func(ca *x509.Certificate) bool {
				if isCA {
					return ca.Equal(cert)
				}
				return signedBy(cert, ca)
			})
			if !trusted {
				return false, nil
			}
		}
	}
	return true, nil
}

// watchConfigs pokes the reconcile loop whenever one of our webhook configurations changes.
func (s *SelfManaged) watchConfigs(ctx context.Context) (stop func(), err error) {
	factory := informers.NewSharedInformerFactoryWithOptions(s.client, 0,
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.LabelSelector = s.selector.String() }))
	handler := cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { s.poke() },
		UpdateFunc: func(any, any) { s.poke() },
		DeleteFunc: func(any) { s.poke() },
	}
	arv1 := factory.Admissionregistration().V1()
	if _, err := arv1.ValidatingWebhookConfigurations().Informer().AddEventHandler(handler); err != nil {
		return nil, fmt.Errorf("watching ValidatingWebhookConfigurations: %w", err)
	}
	if _, err := arv1.MutatingWebhookConfigurations().Informer().AddEventHandler(handler); err != nil {
		return nil, fmt.Errorf("watching MutatingWebhookConfigurations: %w", err)
	}
	wctx, cancel := context.WithCancel(ctx)
	factory.Start(wctx.Done())
	return func() {
		cancel()
		factory.Shutdown()
	}, nil
}
