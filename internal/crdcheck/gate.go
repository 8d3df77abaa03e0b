package crdcheck

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/go-logr/logr"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// Mode is what a CRD that lacks fields does to the webhook (serve --crd-check).
type Mode string

const (
	// Fail keeps /readyz false until the installed CRD has every field, re-checking meanwhile.
	Fail Mode = "fail"
	// Warn logs what is missing and serves anyway.
	Warn Mode = "warn"
	// Off reads no CRD (and needs no RBAC for it).
	Off Mode = "off"
)

// ParseMode reads a --crd-check value.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(s); m {
	case Fail, Warn, Off:
		return m, nil
	}
	return "", fmt.Errorf("%q: want fail, warn or off", s)
}

// Gate holds readiness back until the installed CRD has what ours has. It checks at start and, while
// the check fails, every interval; once it has passed it never closes again: readiness must not drop
// on every replica at once because a CRD changed under a running webhook (that is logged instead).
type Gate struct {
	mode     Mode
	name     string
	version  string
	want     map[string]string
	get      func(ctx context.Context) ([]byte, error)
	interval time.Duration
	log      logr.Logger

	mu     sync.Mutex
	why    string
	passed bool
}

// GateOptions configure a Gate.
type GateOptions struct {
	Mode     Mode
	Name     string // the CRD's name, for messages
	Version  string // the version the webhook configurations match
	Ours     []byte // the CRD this webhook was built against
	Get      func(ctx context.Context) ([]byte, error)
	Interval time.Duration
	Log      logr.Logger
}

// NewGate reads our CRD's fields; it fails only when ours is unreadable (a build defect).
func NewGate(o GateOptions) (*Gate, error) {
	want, err := Fields(o.Ours, o.Version)
	if err != nil {
		return nil, fmt.Errorf("the embedded CRD: %w", err)
	}
	// The spec is what the webhook validates and reads; the status belongs to the plugin.
	for p := range want {
		if p != "spec" && !strings.HasPrefix(p, "spec.") {
			delete(want, p)
		}
	}
	g := &Gate{mode: o.Mode, name: o.Name, version: o.Version, want: want, get: o.Get, interval: o.Interval, log: o.Log}
	if g.mode == Fail {
		g.why = "the installed " + o.Name + " CRD has not been checked yet"
	}
	return g, nil
}

// NotReady says why the webhook must not get traffic yet, or "".
func (g *Gate) NotReady() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.mode != Fail || g.passed {
		return ""
	}
	return g.why
}

// Run checks until the CRD passes (or, in Warn mode, until a check could be made), then returns.
func (g *Gate) Run(ctx context.Context) {
	if g.mode == Off {
		return
	}
	last := ""
	for {
		problem, conclusive := g.Check(ctx)
		g.mu.Lock()
		g.why, g.passed = problem, problem == ""
		g.mu.Unlock()
		switch {
		case problem == "":
			g.log.Info("the installed CRD has every field this webhook validates", "crd", g.name, "version", g.version)
			return
		case problem != last:
			g.log.Error(nil, problem, "crd", g.name, "crdCheck", string(g.mode))
			last = problem
		}
		if g.mode == Warn && conclusive {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(g.interval):
		}
	}
}

// Check reads the installed CRD once and says what is wrong with it, or "". conclusive is false when the
// CRD could not be read for a reason that may pass (the API server did not answer).
func (g *Gate) Check(ctx context.Context) (problem string, conclusive bool) {
	data, err := g.get(ctx)
	switch {
	case apierrors.IsNotFound(err):
		return fmt.Sprintf("the CustomResourceDefinition %s is not installed: install the Barman Cloud Plugin first (the beside-plugin install uses its CRD), or install ours (manifests/default, or the chart with crds.install=true)", g.name), true
	case apierrors.IsForbidden(err):
		return fmt.Sprintf("cannot read the CustomResourceDefinition %s: grant get on customresourcedefinitions.apiextensions.k8s.io with resourceNames [%s] (manifests/base/rbac.yaml), or pass --crd-check=off", g.name, g.name), true
	case err != nil:
		return fmt.Sprintf("cannot read the CustomResourceDefinition %s (retrying every %s): %v", g.name, g.interval, err), false
	}
	got, err := Fields(data, g.version)
	if err != nil {
		return fmt.Sprintf("the installed %v: this webhook validates %s/%s; install a Barman Cloud Plugin release that serves it", err, g.name, g.version), true
	}
	missing := Missing(g.want, got)
	if len(missing) == 0 {
		return "", true
	}
	return fmt.Sprintf("the installed CustomResourceDefinition %s lacks %d field(s) this webhook validates, which the API server would prune from every ObjectStore: %s. Upgrade the Barman Cloud Plugin to a release whose CRD has them, or install ours (manifests/default, or the chart with crds.install=true); --crd-check=warn serves anyway",
		g.name, len(missing), Describe(missing, 10)), true
}
