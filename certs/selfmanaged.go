package certs

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"
)

// InjectCALabel marks the webhook configurations whose caBundle the self-managed mode keeps current.
// Configurations without it are never touched, whatever their name.
const InjectCALabel = "objectstore-webhook.io/inject-ca"

// SelfManagedConfig configures the self-managed certificate mode. RegisterFlags fills it from flags.
type SelfManagedConfig struct {
	// Namespace holds the Secret; it defaults to $POD_NAMESPACE.
	Namespace string
	// SecretName is the Secret keeping the CA and the serving certificate.
	SecretName string
	// ServiceName, when set, puts <svc>, <svc>.<ns>, <svc>.<ns>.svc and <svc>.<ns>.svc.cluster.local in the
	// serving certificate.
	ServiceName string
	// DNSNames and IPs are added to the certificate (a `url:` clientConfig, tests, other cluster domains).
	DNSNames []string
	IPs      []net.IP
	// WebhookSelector is the label selector of the webhook configurations to keep a caBundle in.
	WebhookSelector string
	CALifetime      time.Duration
	CertLifetime    time.Duration
	RenewBefore     RenewBefore
	// CheckInterval is how often the Secret is re-read, so that a replica notices a rotation done by another.
	CheckInterval time.Duration
	// PropagationDelay is how long a new CA must have been in every caBundle before leaves move to it: the
	// API servers pick up webhook configuration changes through their own watches.
	PropagationDelay time.Duration

	now func() time.Time
}

// DefaultSelfManagedConfig is the configuration the manifests in manifests/default assume.
func DefaultSelfManagedConfig() SelfManagedConfig {
	return SelfManagedConfig{
		Namespace:        os.Getenv("POD_NAMESPACE"),
		SecretName:       "objectstore-webhook-certs",
		ServiceName:      "objectstore-webhook",
		WebhookSelector:  InjectCALabel + "=true",
		CALifetime:       5 * 365 * 24 * time.Hour,
		CertLifetime:     365 * 24 * time.Hour,
		RenewBefore:      RenewBefore{Fraction: 1.0 / 3},
		CheckInterval:    10 * time.Second,
		PropagationDelay: time.Minute,
	}
}

// RegisterFlags binds c to flags on fs, using c's current values as defaults.
func (c *SelfManagedConfig) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.Namespace, "cert-namespace", c.Namespace, "self-managed: namespace of the certificate Secret (default $POD_NAMESPACE)")
	fs.StringVar(&c.SecretName, "cert-secret", c.SecretName, "self-managed: Secret holding the CA and the serving certificate")
	fs.StringVar(&c.ServiceName, "cert-service-name", c.ServiceName, "self-managed: Service whose DNS names the certificate carries (empty: none)")
	fs.Func("cert-dns-names", "self-managed: extra comma-separated DNS names for the certificate", func(s string) error {
		for _, n := range strings.Split(s, ",") {
			if n = strings.TrimSpace(n); n != "" {
				c.DNSNames = append(c.DNSNames, n)
			}
		}
		return nil
	})
	fs.Func("cert-ips", "self-managed: extra comma-separated IP addresses for the certificate", func(s string) error {
		for _, n := range strings.Split(s, ",") {
			if n = strings.TrimSpace(n); n == "" {
				continue
			}
			ip := net.ParseIP(n)
			if ip == nil {
				return fmt.Errorf("%q is not an IP address", n)
			}
			c.IPs = append(c.IPs, ip)
		}
		return nil
	})
	fs.StringVar(&c.WebhookSelector, "cert-webhook-selector", c.WebhookSelector, "self-managed: label selector of the webhook configurations whose caBundle is kept current")
	fs.DurationVar(&c.CALifetime, "ca-lifetime", c.CALifetime, "self-managed: lifetime of the CA")
	fs.DurationVar(&c.CertLifetime, "cert-lifetime", c.CertLifetime, "self-managed: lifetime of the serving certificate")
	fs.Var(&c.RenewBefore, "renew-before", "self-managed: renew a certificate this long before expiry: a fraction of its lifetime (1/3) or a duration (720h)")
	fs.DurationVar(&c.CheckInterval, "cert-check-interval", c.CheckInterval, "self-managed: how often the certificate Secret is re-read")
	fs.DurationVar(&c.PropagationDelay, "ca-propagation-delay", c.PropagationDelay, "self-managed: how long a new CA is published before the serving certificate moves to it")
}

func (c SelfManagedConfig) validate() error {
	var errs []error
	if c.Namespace == "" {
		errs = append(errs, errors.New("no namespace for the certificate Secret: set POD_NAMESPACE or --cert-namespace"))
	}
	if c.SecretName == "" {
		errs = append(errs, errors.New("no certificate Secret name: set --cert-secret"))
	}
	if c.ServiceName == "" && len(c.DNSNames) == 0 && len(c.IPs) == 0 {
		errs = append(errs, errors.New("the serving certificate would name nothing: set --cert-service-name, --cert-dns-names or --cert-ips"))
	}
	if _, err := labels.Parse(c.WebhookSelector); err != nil || c.WebhookSelector == "" {
		errs = append(errs, fmt.Errorf("--cert-webhook-selector %q is not a non-empty label selector", c.WebhookSelector))
	}
	if c.CALifetime <= 0 || c.CertLifetime <= 0 {
		errs = append(errs, fmt.Errorf("lifetimes must be positive: CA %s, certificate %s", c.CALifetime, c.CertLifetime))
	}
	if c.RenewBefore.Fraction <= 0 && c.RenewBefore.Duration <= 0 {
		errs = append(errs, errors.New("--renew-before must be a fraction such as 1/3 or a positive duration"))
	}
	if c.CheckInterval <= 0 {
		errs = append(errs, fmt.Errorf("--cert-check-interval must be positive, got %s", c.CheckInterval))
	}
	if c.PropagationDelay < 0 {
		errs = append(errs, fmt.Errorf("--ca-propagation-delay must not be negative, got %s", c.PropagationDelay))
	}
	return errors.Join(errs...)
}

func (c SelfManagedConfig) dnsNames() []string {
	var names []string
	if svc, ns := c.ServiceName, c.Namespace; svc != "" {
		names = append(names, svc+"."+ns+".svc", svc+"."+ns+".svc.cluster.local", svc+"."+ns, svc)
	}
	return append(names, c.DNSNames...)
}

// SelfManaged issues and rotates the webhook's CA and serving certificate, keeps them in one Secret that
// every replica agrees on through its resourceVersion, and publishes the CA in the project's own webhook
// configurations. It is a Provider.
type SelfManaged struct {
	cfg      SelfManagedConfig
	client   kubernetes.Interface
	log      logr.Logger
	selector labels.Selector

	serving atomic.Pointer[tls.Certificate]
	leaf    atomic.Pointer[x509.Certificate]
	ready   atomic.Bool
	trigger chan struct{}

	mu sync.Mutex // serialises reconcile
}

var _ Provider = (*SelfManaged)(nil)

// NewSelfManaged checks cfg and returns a SelfManaged that does nothing until Run.
func NewSelfManaged(cfg SelfManagedConfig, client kubernetes.Interface, log logr.Logger) (*SelfManaged, error) {
	if cfg.now == nil {
		cfg.now = time.Now
	}
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("self-managed certificates: %w", err)
	}
	if client == nil {
		return nil, errors.New("self-managed certificates need a Kubernetes client")
	}
	sel, _ := labels.Parse(cfg.WebhookSelector)
	return &SelfManaged{cfg: cfg, client: client, log: log, selector: sel, trigger: make(chan struct{}, 1)}, nil
}

// GetCertificate returns the serving certificate last loaded from the Secret.
func (s *SelfManaged) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	if c := s.serving.Load(); c != nil {
		return c, nil
	}
	return nil, errors.New("no serving certificate yet: the self-managed Secret has not been read or created")
}

// Ready is true once a certificate is served and every webhook in our configurations trusts its CA.
func (s *SelfManaged) Ready() bool { return s.ready.Load() }

// Run reconciles until ctx ends: at once, every CheckInterval, and whenever one of our webhook
// configurations changes (a GitOps re-apply that empties caBundle is repaired within a round trip).
func (s *SelfManaged) Run(ctx context.Context) error {
	stopWatch, err := s.watchConfigs(ctx)
	if err != nil {
		return err
	}
	defer stopWatch()
	backoff := 100 * time.Millisecond
	for {
		wait := s.cfg.CheckInterval
		// A bound of its own, so that a hung API call cannot stall renewal whatever the client's timeout.
		rctx, cancel := context.WithTimeout(ctx, reconcileTimeout)
		err := s.reconcile(rctx)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			s.log.Error(err, "reconciling webhook certificates; retrying", "retryIn", backoff)
			wait, backoff = min(backoff, wait), min(2*backoff, s.cfg.CheckInterval)
		} else {
			backoff = 100 * time.Millisecond
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-s.trigger:
			t.Stop()
		case <-t.C:
		}
	}
}

// reconcileTimeout bounds one pass: a few small reads and writes.
const reconcileTimeout = 30 * time.Second

func (s *SelfManaged) poke() {
	select {
	case s.trigger <- struct{}{}:
	default:
	}
}

// reconcile brings the Secret up to date, serves its leaf, then publishes its bundle.
func (s *SelfManaged) reconcile(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()

	secret, err := s.ensureSecret(ctx)
	if err != nil {
		return err
	}
	if err := s.serve(secret); err != nil {
		return err
	}
	ok, err := s.publish(ctx, parseCerts(secret.Data[keyCACert]))
	if err != nil {
		return err
	}
	leaf := s.leaf.Load()
	trusted := ok && leaf != nil
	if trusted {
		trusted, err = s.allTrust(ctx, leaf, false)
		if err != nil {
			return err
		}
	}
	if s.ready.Swap(trusted) != trusted {
		s.log.Info("webhook certificate readiness changed", "ready", trusted)
	}
	return nil
}

// ensureSecret reads the Secret and writes it when plan asks for it. Replicas racing on the first
// create, or on a rotation, meet at the API server: AlreadyExists or Conflict sends the loser back to read
// the winner's Secret, which then needs no change.
func (s *SelfManaged) ensureSecret(ctx context.Context) (*corev1.Secret, error) {
	secrets := s.client.CoreV1().Secrets(s.cfg.Namespace)
	for attempt := 0; ; attempt++ {
		if attempt == 5 {
			return nil, fmt.Errorf("Secret %s/%s kept changing under us; will retry", s.cfg.Namespace, s.cfg.SecretName)
		}
		secret, err := secrets.Get(ctx, s.cfg.SecretName, metav1.GetOptions{})
		missing := apierrors.IsNotFound(err)
		if err != nil && !missing {
			return nil, fmt.Errorf("reading Secret %s/%s: %w", s.cfg.Namespace, s.cfg.SecretName, err)
		}
		if !missing && secret.Type != corev1.SecretTypeTLS {
			return nil, fmt.Errorf("%w: Secret %s/%s has type %q, want %q (the type cannot be changed in place: delete it and the webhook recreates it)",
				errWrongSecretType, s.cfg.Namespace, s.cfg.SecretName, secret.Type, corev1.SecretTypeTLS)
		}
		var data map[string][]byte
		if !missing {
			data = secret.Data
		}
		now := s.cfg.now()
		newData, reason, err := plan(data, s.planParams(ctx, now), now)
		if err != nil {
			return nil, err
		}
		if newData == nil {
			return secret, nil
		}
		if missing {
			secret = &corev1.Secret{
				ObjectMeta: metav1.ObjectMeta{
					Name:      s.cfg.SecretName,
					Namespace: s.cfg.Namespace,
					Labels:    map[string]string{"app.kubernetes.io/name": "objectstore-webhook", "app.kubernetes.io/managed-by": "objectstore-webhook"},
				},
				Type: corev1.SecretTypeTLS,
				Data: newData,
			}
			created, err := secrets.Create(ctx, secret, metav1.CreateOptions{})
			if apierrors.IsAlreadyExists(err) {
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("creating Secret %s/%s: %w", s.cfg.Namespace, s.cfg.SecretName, err)
			}
			s.log.Info("created webhook certificate Secret", "secret", s.cfg.SecretName, "reason", reason)
			return created, nil
		}
		secret = secret.DeepCopy()
		secret.Data = newData
		updated, err := secrets.Update(ctx, secret, metav1.UpdateOptions{})
		if apierrors.IsConflict(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("updating Secret %s/%s: %w", s.cfg.Namespace, s.cfg.SecretName, err)
		}
		s.log.Info("updated webhook certificate Secret", "secret", s.cfg.SecretName, "reason", reason)
		return updated, nil
	}
}

func (s *SelfManaged) planParams(ctx context.Context, now time.Time) planParams {
	return planParams{
		caName:       "objectstore-webhook-ca",
		dnsNames:     s.cfg.dnsNames(),
		ips:          s.cfg.IPs,
		caLifetime:   s.cfg.CALifetime,
		certLifetime: s.cfg.CertLifetime,
		renewBefore:  s.cfg.RenewBefore,
		published: func(ca *x509.Certificate) bool {
			if now.Before(ca.NotBefore.Add(backdate + s.cfg.PropagationDelay)) {
				return false
			}
			ok, err := s.allTrust(ctx, ca, true)
			if err != nil {
				s.log.Error(err, "checking whether the new CA is published; keeping the current serving certificate")
			}
			return ok && err == nil
		},
	}
}

// serve swaps in the Secret's leaf when it differs from the one served.
func (s *SelfManaged) serve(secret *corev1.Secret) error {
	kp, err := ParseKeyPair(secret.Data[keyTLSCert], secret.Data[keyTLSKey])
	if err != nil {
		return fmt.Errorf("serving certificate in Secret %s/%s: %w", s.cfg.Namespace, s.cfg.SecretName, err)
	}
	if cur := s.leaf.Load(); cur != nil && cur.Equal(kp.Cert) {
		return nil
	}
	pair, err := tls.X509KeyPair(secret.Data[keyTLSCert], secret.Data[keyTLSKey])
	if err != nil {
		return fmt.Errorf("serving certificate in Secret %s/%s: %w", s.cfg.Namespace, s.cfg.SecretName, err)
	}
	pair.Leaf = kp.Cert
	s.serving.Store(&pair)
	s.leaf.Store(kp.Cert)
	s.log.Info("serving certificate loaded", "notAfter", kp.Cert.NotAfter, "issuer", kp.Cert.Issuer.CommonName, "serial", kp.Cert.SerialNumber.Text(16))
	return nil
}
