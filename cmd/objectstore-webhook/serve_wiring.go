package main

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/objectstore-webhook/objectstore-webhook/certs"
	"github.com/objectstore-webhook/objectstore-webhook/internal/crdcheck"
	"github.com/objectstore-webhook/objectstore-webhook/internal/secrets"
	"github.com/objectstore-webhook/objectstore-webhook/internal/version"
	"github.com/objectstore-webhook/objectstore-webhook/manifests/crd"
	barmanv1 "github.com/objectstore-webhook/objectstore-webhook/schema/barmancloud/v1"
	cnpgv1 "github.com/objectstore-webhook/objectstore-webhook/schema/cnpg/v1"
	"github.com/objectstore-webhook/objectstore-webhook/webhooks/admission"
	"github.com/objectstore-webhook/objectstore-webhook/webhooks/objectstore"
)

// webhookSet is which of the webhooks a server answers; the webhook configurations in manifests/ call all
// three, a server started for ObjectStore validation alone (--webhooks=objectstores) needs no API server.
type webhookSet struct{ objectstores, clusters, pods bool }

func parseWebhookSet(s string) (webhookSet, error) {
	var w webhookSet
	for _, name := range strings.Split(s, ",") {
		switch strings.TrimSpace(name) {
		case "objectstores":
			w.objectstores = true
		case "clusters":
			w.clusters = true
		case "pods":
			w.pods = true
		default:
			return w, fmt.Errorf("unknown webhook %q: want a comma-separated subset of objectstores, clusters, pods", name)
		}
	}
	return w, nil
}

// webhookRoutes are the paths the webhook configurations in manifests/ call, exactly; a webhook left out
// of --webhooks has no route, so its reviews get a 404 that names the path.
// kube is nil when the flags need no API server (only objectstores, --secret-checks=off, files certificates).
func webhookRoutes(ctx context.Context, cfg *serveConfig, kube *kubeClients, reg prometheus.Registerer, log logr.Logger) ([]admission.Route, error) {
	var secretGetter objectstore.SecretGetter
	if cfg.secretChecks != objectstore.SecretChecksOff {
		g, err := secrets.New(kube.client, secrets.Options{Logger: log.WithName("secrets"), Registerer: reg})
		if err != nil {
			return nil, err
		}
		secretGetter = g
	}
	storeOpts := objectstore.Options{SecretChecks: cfg.secretChecks}
	validateStore := func(ctx context.Context, old, obj *barmanv1.ObjectStore) (field.ErrorList, []string) {
		return objectstore.Validate(ctx, old, obj, secretGetter, storeOpts)
	}
	var routes []admission.Route
	if cfg.webhooks.objectstores {
		routes = append(routes, admission.Route{Path: "/validate/objectstores", Type: admission.Validating, Resource: barmanv1.Resource, Handler: admission.ValidateFunc[barmanv1.ObjectStore](objectstore.Codec{}, validateStore)})
	}
	if !cfg.webhooks.clusters && !cfg.webhooks.pods {
		return routes, nil
	}
	mut, err := newMutation(ctx, cfg, kube, reg, log.WithName("mutation"))
	if err != nil {
		return nil, err
	}
	if cfg.webhooks.clusters {
		routes = append(routes,
			admission.Route{Path: "/mutate/clusters", Type: admission.Mutating, Resource: cnpgv1.Resource, Handler: mut.mutateClusters},
			admission.Route{Path: "/validate/clusters", Type: admission.Validating, Resource: cnpgv1.Resource, Handler: mut.validateClusters})
	}
	if cfg.webhooks.pods {
		routes = append(routes, admission.Route{Path: "/mutate/pods", Type: admission.Mutating, Resource: corev1.SchemeGroupVersion.WithResource("pods"), Handler: mut.mutatePods})
	}
	return routes, nil
}

// startCRDCheck compares the installed ObjectStore CRD with ours in the background (see crdcheck.Gate):
// beside the Barman Cloud Plugin the CRD is the plugin's, and one that lacks fields we validate would
// have them pruned from every ObjectStore before a review reaches us. Readiness, not an exit: a rollout
// beside a too-old CRD stalls with the old replicas serving and /readyz naming the fields, and the
// webhook becomes ready by itself once the CRD is upgraded. Without an API server (a local
// --webhooks=objectstores --secret-checks=off --cert-mode=files run) there is nothing to check.
func startCRDCheck(ctx context.Context, cfg *serveConfig, kube *kubeClients, log logr.Logger) (*crdcheck.Gate, error) {
	if cfg.crdCheck == crdcheck.Off {
		return nil, nil
	}
	if kube == nil {
		log.Info("no API server in use: the installed ObjectStore CRD is not checked")
		return nil, nil
	}
	name := barmanv1.Resource.GroupResource().String()
	g, err := crdcheck.NewGate(crdcheck.GateOptions{
		Mode: cfg.crdCheck, Name: name, Version: barmanv1.Resource.Version, Ours: crd.ObjectStores,
		Interval: cfg.crdInterval, Log: log,
		// One GET by name: the only access to CRDs the RBAC grants.
		Get: func(ctx context.Context) ([]byte, error) {
			return kube.clientset.Discovery().RESTClient().Get().
				AbsPath("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", name).Timeout(10 * time.Second).DoRaw(ctx)
		},
	})
	if err != nil {
		return nil, err
	}
	go g.Run(ctx)
	return g, nil
}

// certMode is one way of getting the serving certificate. start returns a provider whose background work
// (watching files, rotating) runs until ctx ends.
type certMode struct {
	needsAPI bool
	start    func(ctx context.Context, cfg *serveConfig, kube *kubeClients, log logr.Logger) (certs.Provider, error)
}

// runner is a provider with background work.
type runner interface {
	Run(ctx context.Context) error
}

var certModes = map[string]certMode{
	"files": {start: func(ctx context.Context, cfg *serveConfig, _ *kubeClients, log logr.Logger) (certs.Provider, error) {
		f, err := certs.NewFiles(certs.FilesConfig{Dir: cfg.certDir}, log)
		if err != nil {
			return nil, err
		}
		return f, runInBackground(ctx, f, log)
	}},
	"cert-manager": {start: func(ctx context.Context, cfg *serveConfig, _ *kubeClients, log logr.Logger) (certs.Provider, error) {
		c, err := certs.NewCertManager(cfg.certDir, log)
		if err != nil {
			return nil, err
		}
		return c, runInBackground(ctx, c, log)
	}},
	"self-managed": {needsAPI: true, start: func(ctx context.Context, cfg *serveConfig, kube *kubeClients, log logr.Logger) (certs.Provider, error) {
		s, err := certs.NewSelfManaged(cfg.selfManaged, kube.clientset, log)
		if err != nil {
			return nil, err
		}
		return s, runInBackground(ctx, s, log)
	}},
}

func certModeNames() string {
	names := make([]string, 0, len(certModes))
	for n := range certModes {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

func startCertificates(ctx context.Context, cfg *serveConfig, kube *kubeClients, log logr.Logger) (certs.Provider, error) {
	p, err := certModes[cfg.certMode].start(ctx, cfg, kube, log.WithValues("mode", cfg.certMode))
	if err != nil {
		return nil, fmt.Errorf("certificates (--cert-mode=%s): %w", cfg.certMode, err)
	}
	return p, nil
}

// runInBackground runs r until ctx ends. A failure after start is logged, not fatal: the certificate in
// service keeps being served, and /readyz and the expiry metric tell when that becomes a problem.
func runInBackground(ctx context.Context, r runner, log logr.Logger) error {
	go func() {
		if err := r.Run(ctx); err != nil {
			log.Error(err, "certificate provider stopped; the certificate in service is no longer renewed")
		}
	}()
	return nil
}

// kubeClients reach the API server: an uncached controller-runtime client for single GETs, and a
// clientset for the certificate rotation's watches.
type kubeClients struct {
	config    *rest.Config
	client    client.Client
	clientset kubernetes.Interface
}

// connectKube returns nil when nothing configured needs the API server, and otherwise fails fast with a
// message naming the way out, rather than serving reviews that would all fail their Secret lookups.
func connectKube(ctx context.Context, cfg *serveConfig, log logr.Logger) (*kubeClients, error) {
	var why []string
	if cfg.webhooks.clusters || cfg.webhooks.pods {
		why = append(why, "the Cluster and pod webhooks")
	}
	if cfg.webhooks.objectstores && cfg.secretChecks != objectstore.SecretChecksOff {
		why = append(why, "--secret-checks="+cfg.secretChecks.String())
	}
	if certModes[cfg.certMode].needsAPI {
		why = append(why, "--cert-mode="+cfg.certMode)
	}
	if len(why) == 0 {
		return nil, nil
	}
	// client-go and controller-runtime log through these; without them they print to stderr in their own
	// format or warn that no logger was set.
	klog.SetLogger(log.WithName("client-go"))
	ctrllog.SetLogger(log.WithName("controller-runtime"))

	restCfg, err := restConfig(cfg.kubeconfig)
	if err != nil {
		return nil, fmt.Errorf("%s needs the Kubernetes API server: %w (--webhooks=objectstores --secret-checks=off --cert-mode=files runs without it)", strings.Join(why, " and "), err)
	}
	restCfg.UserAgent = "objectstore-webhook/" + version.String()
	// Watches (the certificate rotation, the informer cache) must not carry a request timeout: client-go
	// applies it to watches too and would cut them every few seconds. Single GETs during a review get one.
	watchCfg := rest.CopyConfig(restCfg)
	// A Secret GET answers in milliseconds; past this the review's own deadline is near anyway.
	restCfg.Timeout = 5 * time.Second
	cs, err := kubernetes.NewForConfig(watchCfg)
	if err != nil {
		return nil, err
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := cs.Discovery().RESTClient().Get().AbsPath("/version").Do(pingCtx).Error(); err != nil {
		return nil, fmt.Errorf("cannot reach the Kubernetes API server at %s, which %s needs: %w (--webhooks=objectstores --secret-checks=off --cert-mode=files runs without it)",
			restCfg.Host, strings.Join(why, " and "), err)
	}
	scheme := runtime.NewScheme()
	if err := errors.Join(clientgoscheme.AddToScheme(scheme), barmanv1.AddToScheme(scheme), cnpgv1.AddToScheme(scheme)); err != nil {
		return nil, err
	}
	c, err := client.New(restCfg, client.Options{Scheme: scheme})
	if err != nil {
		return nil, fmt.Errorf("building the Kubernetes client: %w", err)
	}
	log.Info("connected to the Kubernetes API server", "host", restCfg.Host, "for", why)
	return &kubeClients{config: watchCfg, client: c, clientset: cs}, nil
}

func restConfig(kubeconfig string) (*rest.Config, error) {
	if kubeconfig != "" {
		c, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
		if err != nil {
			return nil, fmt.Errorf("--kubeconfig %s: %w", kubeconfig, err)
		}
		return c, nil
	}
	c, err := rest.InClusterConfig()
	if err != nil {
		return nil, fmt.Errorf("not running in a cluster (%v); pass --kubeconfig", err)
	}
	return c, nil
}
