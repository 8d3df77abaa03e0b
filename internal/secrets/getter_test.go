package secrets

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr/funcr"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// reader is a client.Reader over a map that counts GETs and refuses lists, which the Getter must never do.
type reader struct {
	mu        sync.Mutex
	secrets   map[client.ObjectKey]*corev1.Secret
	forbidden bool
	gets      int
}

func (r *reader) Get(_ context.Context, key client.ObjectKey, obj client.Object, _ ...client.GetOption) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.gets++
	gr := schema.GroupResource{Resource: "secrets"}
	if r.forbidden {
		return apierrors.NewForbidden(gr, key.Name, fmt.Errorf("no RBAC"))
	}
	s, ok := r.secrets[key]
	if !ok {
		return apierrors.NewNotFound(gr, key.Name)
	}
	s.DeepCopyInto(obj.(*corev1.Secret))
	return nil
}

func (r *reader) List(context.Context, client.ObjectList, ...client.ListOption) error {
	panic("the Getter listed Secrets")
}

func (r *reader) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.gets
}

func secret(ns, name string) *corev1.Secret {
	return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Data: map[string][]byte{"k": []byte("v")}}
}

func newReader(ss ...*corev1.Secret) *reader {
	r := &reader{secrets: map[client.ObjectKey]*corev1.Secret{}}
	for _, s := range ss {
		r.secrets[client.ObjectKeyFromObject(s)] = s
	}
	return r
}

func TestCachesFoundSecretsForTheTTL(t *testing.T) {
	now := time.Unix(1000, 0)
	r := newReader(secret("ns", "creds"))
	g, err := New(r, Options{TTL: 10 * time.Second, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for range 5 {
		s, err := g.Get(ctx, "ns", "creds")
		if err != nil || string(s.Data["k"]) != "v" {
			t.Fatalf("Get = %v, %v", s, err)
		}
		s.Data["k"] = []byte("changed by the caller")
	}
	if r.count() != 1 {
		t.Errorf("5 lookups within the TTL made %d GETs, want 1", r.count())
	}
	now = now.Add(10 * time.Second)
	if s, _ := g.Get(ctx, "ns", "creds"); string(s.Data["k"]) != "v" {
		t.Errorf("a caller's change leaked into the cache: %q", s.Data["k"])
	}
	if r.count() != 2 {
		t.Errorf("a lookup after the TTL made %d GETs in all, want 2", r.count())
	}
}

func TestNotFoundIsNotCached(t *testing.T) {
	r := newReader()
	g, _ := New(r, Options{})
	ctx := context.Background()
	if _, err := g.Get(ctx, "ns", "creds"); !apierrors.IsNotFound(err) {
		t.Fatalf("missing Secret: err = %v, want NotFound", err)
	}
	r.mu.Lock()
	r.secrets[client.ObjectKey{Namespace: "ns", Name: "creds"}] = secret("ns", "creds")
	r.mu.Unlock()
	if _, err := g.Get(ctx, "ns", "creds"); err != nil {
		t.Fatalf("a Secret created after a NotFound is not seen: %v", err)
	}
}

func TestForbiddenIsReturnedAndLoggedOnce(t *testing.T) {
	var lines []string
	log := funcr.New(func(prefix, args string) { lines = append(lines, args) }, funcr.Options{})
	g, _ := New(&reader{forbidden: true}, Options{Logger: log})
	for range 3 {
		if _, err := g.Get(context.Background(), "ns", "creds"); !apierrors.IsForbidden(err) {
			t.Fatalf("err = %v, want Forbidden", err)
		}
	}
	if len(lines) != 1 || !strings.Contains(lines[0], "get on secrets") {
		t.Errorf("Forbidden logged %d times (%q), want once, naming the missing permission", len(lines), lines)
	}
}

func TestCacheIsBounded(t *testing.T) {
	now := time.Unix(1000, 0)
	var ss []*corev1.Secret
	for i := range 10 {
		ss = append(ss, secret("ns", fmt.Sprint("s", i)))
	}
	r := newReader(ss...)
	g, _ := New(r, Options{MaxEntries: 4, Now: func() time.Time { return now }})
	for i := range 10 {
		now = now.Add(time.Millisecond)
		if _, err := g.Get(context.Background(), "ns", fmt.Sprint("s", i)); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(g.entries); n != 4 {
		t.Errorf("cache holds %d entries, want its bound 4", n)
	}
	// The newest survive: s9 is served from the cache, s0 is fetched again.
	before := r.count()
	_, _ = g.Get(context.Background(), "ns", "s9")
	_, _ = g.Get(context.Background(), "ns", "s0")
	if got := r.count() - before; got != 1 {
		t.Errorf("after eviction, s9 and s0 cost %d GETs, want 1 (s0 only)", got)
	}
}
