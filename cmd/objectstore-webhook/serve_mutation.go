package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/objectstore-webhook/objectstore-webhook/internal/binding"
	"github.com/objectstore-webhook/objectstore-webhook/internal/settingsctl"
	barmanv1 "github.com/objectstore-webhook/objectstore-webhook/schema/barmancloud/v1"
	cnpgv1 "github.com/objectstore-webhook/objectstore-webhook/schema/cnpg/v1"
	"github.com/objectstore-webhook/objectstore-webhook/webhooks/admission"
	"github.com/objectstore-webhook/objectstore-webhook/webhooks/cluster"
	"github.com/objectstore-webhook/objectstore-webhook/webhooks/pod"
)

// mutation holds the Cluster and pod webhooks. They read Clusters, ObjectStores and ServiceAccounts from a
// cache that runs until ctx ends, with an uncached read on a miss.
type mutation struct {
	mutateClusters, validateClusters, mutatePods admission.Handler
}

// newMutation builds the handlers; without an API server (kube nil) there is nothing to read, and the
// routes stay declared without a handler, which the transport answers with a clear denial.
func newMutation(ctx context.Context, cfg *serveConfig, kube *kubeClients, reg prometheus.Registerer, log logr.Logger) (mutation, error) {
	if kube == nil {
		return mutation{}, nil
	}
	conf := &cfg.pod
	// The settings are what the pod webhook injects the archiver to read; without it there is no reader.
	settings := cfg.settingsController && cfg.webhooks.pods
	opts, err := conf.Options(func() (string, error) {
		v, err := kube.clientset.Discovery().ServerVersion()
		if err != nil {
			return "", err
		}
		return v.GitVersion, nil
	})
	if err != nil {
		return mutation{}, err
	}
	deny, err := conf.DenyOnFailure()
	if err != nil {
		return mutation{}, err
	}
	scheme := runtime.NewScheme()
	if err := errors.Join(clientgoscheme.AddToScheme(scheme), barmanv1.AddToScheme(scheme), cnpgv1.AddToScheme(scheme)); err != nil {
		return mutation{}, err
	}
	cacheOpts := binding.CacheOptions(cache.Options{Scheme: scheme})
	if settings {
		cacheOpts = settingsctl.CacheByObject(cacheOpts)
	}
	c, err := cache.New(kube.config, cacheOpts)
	if err != nil {
		return mutation{}, fmt.Errorf("building the cache of Clusters, ObjectStores and ServiceAccounts: %w", err)
	}
	go func() {
		if err := c.Start(ctx); err != nil {
			log.Error(err, "the cache of Clusters, ObjectStores and ServiceAccounts stopped")
		}
	}()
	// Start the watches now rather than on the first review, which would otherwise wait for a full list.
	for _, obj := range []client.Object{&cnpgv1.Cluster{}, &barmanv1.ObjectStore{}, &corev1.ServiceAccount{}} {
		go func() {
			if _, err := c.GetInformer(ctx, obj); err != nil {
				log.Error(err, "watching for the Cluster and pod webhooks", "kind", fmt.Sprintf("%T", obj))
			}
		}()
	}
	lookup := binding.ClientLookup{Cached: c, Direct: kube.client}
	if settings {
		renders, err := settingsctl.NewRenderCounter(reg)
		if err != nil {
			return mutation{}, err
		}
		ctl := &settingsctl.Controller{Cache: c, Client: kube.clientset, Log: log.WithName("settings"),
			Resync: cfg.settingsResync, Renders: renders}
		// CloudNativePG may be installed after us, as the webhooks above allow: wait for its Cluster CRD
		// rather than fail serve (which would also take the ObjectStore webhook down).
		go func() {
			wait := time.Second
			for {
				err := ctl.Start(ctx)
				if err == nil {
					return
				}
				log.Error(err, "the settings controller is waiting; is CloudNativePG's Cluster CRD installed?", "retryIn", wait.String())
				select {
				case <-ctx.Done():
					return
				case <-time.After(wait):
				}
				wait = min(2*wait, time.Minute)
			}
		}()
	}

	failures, err := pod.NewFailureCounter(reg)
	if err != nil {
		return mutation{}, err
	}
	broadcaster := events.NewBroadcaster(&events.EventSinkImpl{Interface: kube.clientset.EventsV1()})
	broadcaster.StartRecordingToSink(ctx.Done())
	recorder := broadcaster.NewRecorder(scheme, "objectstore-webhook")
	log.Info("injecting wal-archiver", "image", opts.Image, "nativeSidecar", opts.NativeSidecar, "denyOnFailure", deny)
	return mutation{
		mutateClusters:   cluster.Mutator{Lookup: lookup},
		validateClusters: cluster.Validator{Lookup: lookup},
		mutatePods: &pod.Webhook{
			Injector: pod.Injector{Lookup: lookup, Options: opts},
			Deny:     deny,
			Events:   pod.ClientGoEvents{Recorder: recorder},
			Failures: failures,
		},
	}, nil
}
