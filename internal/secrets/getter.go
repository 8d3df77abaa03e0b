package secrets

import (
	"context"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/singleflight"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Defaults: long enough that a burst of reviews (kubectl apply -f on a directory, a GitOps sync) costs one
// GET per Secret, short enough that a rotated Secret is seen before anyone re-applies.
const (
	DefaultTTL        = 10 * time.Second
	DefaultMaxEntries = 1024
)

// Options tune a Getter.
type Options struct {
	// TTL is how long a fetched Secret is reused; 0 means DefaultTTL, negative disables the cache.
	TTL time.Duration
	// MaxEntries bounds the cache; 0 means DefaultMaxEntries.
	MaxEntries int
	// Logger gets the one line saying that RBAC forbids reading Secrets.
	Logger logr.Logger
	// Registerer, if not nil, gets objectstore_webhook_secret_lookups_total.
	Registerer prometheus.Registerer
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Getter fetches single Secrets by name. It never lists or watches: a cache of every Secret in the
// cluster would hold every credential in the webhook's memory and need RBAC to read them all.
//
// Get returns a Kubernetes NotFound error when the Secret does not exist (not cached, so that creating
// the Secret and re-applying works at once), and a Forbidden error, logged once, when RBAC does not let the
// webhook look: the rules then treat the Secret as "cannot tell" and skip their checks.
type Getter struct {
	reader  client.Reader
	ttl     time.Duration
	max     int
	now     func() time.Time
	log     logr.Logger
	lookups *prometheus.CounterVec

	flight    singleflight.Group
	forbidden sync.Once

	mu      sync.Mutex
	entries map[types.NamespacedName]entry
}

type entry struct {
	secret  *corev1.Secret
	expires time.Time
}

// New returns a Getter reading through reader, which should be an uncached client (client.New), so that
// each miss is one GET of one Secret.
func New(reader client.Reader, opts Options) (*Getter, error) {
	g := &Getter{
		reader:  reader,
		ttl:     opts.TTL,
		max:     opts.MaxEntries,
		now:     opts.Now,
		log:     opts.Logger,
		entries: map[types.NamespacedName]entry{},
		lookups: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "objectstore_webhook_secret_lookups_total",
			Help: "Secret lookups made by admission rules, by result: cached, fetched, not_found, forbidden, error.",
		}, []string{"result"}),
	}
	if g.ttl == 0 {
		g.ttl = DefaultTTL
	}
	if g.max <= 0 {
		g.max = DefaultMaxEntries
	}
	if g.now == nil {
		g.now = time.Now
	}
	if opts.Registerer != nil {
		if err := opts.Registerer.Register(g.lookups); err != nil {
			return nil, err
		}
	}
	return g, nil
}

// Get returns the Secret namespace/name. The Secret is a copy: callers may keep or change it.
func (g *Getter) Get(ctx context.Context, namespace, name string) (*corev1.Secret, error) {
	key := types.NamespacedName{Namespace: namespace, Name: name}
	if s := g.cached(key); s != nil {
		g.lookups.WithLabelValues("cached").Inc()
		return s.DeepCopy(), nil
	}
	// Concurrent reviews naming the same Secret share one GET.
	v, err, _ := g.flight.Do(key.String(), func() (any, error) {
		s := &corev1.Secret{}
		if err := g.reader.Get(ctx, key, s); err != nil {
			return nil, err
		}
		g.store(key, s)
		return s, nil
	})
	if err != nil {
		g.count(err)
		return nil, err
	}
	g.lookups.WithLabelValues("fetched").Inc()
	return v.(*corev1.Secret).DeepCopy(), nil
}

func (g *Getter) count(err error) {
	switch {
	case apierrors.IsNotFound(err):
		g.lookups.WithLabelValues("not_found").Inc()
	case apierrors.IsForbidden(err):
		g.lookups.WithLabelValues("forbidden").Inc()
		g.forbidden.Do(func() {
			g.log.Info("RBAC forbids reading Secrets: checks that need a Secret are skipped; grant get on secrets to enable them",
				"reason", err.Error())
		})
	default:
		g.lookups.WithLabelValues("error").Inc()
	}
}

func (g *Getter) cached(key types.NamespacedName) *corev1.Secret {
	if g.ttl < 0 {
		return nil
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	e, ok := g.entries[key]
	if !ok {
		return nil
	}
	if !g.now().Before(e.expires) {
		delete(g.entries, key)
		return nil
	}
	return e.secret
}

func (g *Getter) store(key types.NamespacedName, s *corev1.Secret) {
	if g.ttl < 0 {
		return
	}
	now := g.now()
	g.mu.Lock()
	defer g.mu.Unlock()
	if _, ok := g.entries[key]; !ok && len(g.entries) >= g.max {
		g.evict(now)
	}
	g.entries[key] = entry{secret: s, expires: now.Add(g.ttl)}
}

// evict drops the expired entries, or if none has expired the one closest to expiring. It scans the map,
// which at the default bound costs microseconds and only happens when the cache is full.
func (g *Getter) evict(now time.Time) {
	var oldest types.NamespacedName
	var oldestAt time.Time
	for k, e := range g.entries {
		if !now.Before(e.expires) {
			delete(g.entries, k)
			continue
		}
		if oldestAt.IsZero() || e.expires.Before(oldestAt) {
			oldest, oldestAt = k, e.expires
		}
	}
	if len(g.entries) >= g.max {
		delete(g.entries, oldest)
	}
}
