package objectstore

import (
	"context"
	"errors"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/validation/field"

	v1 "github.com/objectstore-webhook/objectstore-webhook/schema/barmancloud/v1"
)

// Limits every message respects, so that kubectl output stays one readable line per finding.
const (
	// MaxWarningLen bounds a warning, field path included.
	MaxWarningLen = 120
	// MaxDenialLen bounds field.Error.Error() of a denial, field path and quoted value included.
	MaxDenialLen = 300
)

// SecretChecks says what a finding learned from a Secret (missing Secret or key, unusable content) does.
// Such findings depend on the order in which a GitOps tool applies objects, so they warn by default.
type SecretChecks uint8

// The zero value is SecretChecksWarn.
const (
	SecretChecksWarn SecretChecks = iota
	SecretChecksDeny
	SecretChecksOff
)

// String returns the flag spelling: warn, deny or off.
func (s SecretChecks) String() string {
	switch s {
	case SecretChecksDeny:
		return "deny"
	case SecretChecksOff:
		return "off"
	default:
		return "warn"
	}
}

// ParseSecretChecks reads the flag spelling of SecretChecks.
func ParseSecretChecks(s string) (SecretChecks, error) {
	switch s {
	case "warn", "":
		return SecretChecksWarn, nil
	case "deny":
		return SecretChecksDeny, nil
	case "off":
		return SecretChecksOff, nil
	}
	return SecretChecksWarn, errors.New("secret checks must be deny, warn or off, not " + quote(s))
}

// Options tune Validate.
type Options struct {
	// SecretChecks says whether findings learned from Secrets deny, warn or are not looked for.
	SecretChecks SecretChecks
	// Now is the clock certificate expiry is judged by; nil means time.Now.
	Now func() time.Time
}

// certExpiryWarning is how early an endpointCA certificate's coming expiry is reported.
const certExpiryWarning = 30 * 24 * time.Hour

// Validate checks an ObjectStore on create (old == nil) or update. Denials come back as a field.ErrorList
// with the paths kubectl prints; warnings start with the field path. secrets may be nil: the Secret checks
// are then skipped. Nothing in a Secret's data ever appears in a message.
func Validate(ctx context.Context, old, obj *v1.ObjectStore, secrets SecretGetter, opts Options) (field.ErrorList, []string) {
	if obj == nil {
		return nil, nil
	}
	v := validator{ctx: ctx, secrets: secrets, opts: opts, namespace: obj.Namespace}
	if opts.SecretChecks == SecretChecksOff {
		v.secrets = nil
	}
	if obj.DeletionTimestamp != nil {
		return nil, nil // removing finalizers from a store on its way out must never be refused
	}
	v.store(obj)
	if old != nil {
		v.update(old, obj)
		if len(v.errs) > 0 {
			v.ratchet(old)
		}
	}
	return v.errs, v.warns
}

// ratchet lets an update through when it adds no denial to those the old object already had: a store
// created before the webhook (or before a rule) must stay editable, e.g. to fix one problem at a time.
func (v *validator) ratchet(old *v1.ObjectStore) {
	prev := validator{ctx: v.ctx, secrets: v.secrets, opts: v.opts, namespace: old.Namespace}
	prev.store(old)
	if len(prev.errs) == 0 {
		return
	}
	had := make(map[string]bool, len(prev.errs))
	for _, e := range prev.errs {
		had[e.Error()] = true
	}
	kept := v.errs[:0]
	for _, e := range v.errs {
		if !had[e.Error()] {
			kept = append(kept, e)
		}
	}
	if n := len(v.errs) - len(kept); n > 0 {
		v.warn(pathSpec, "still breaks "+strconv.Itoa(n)+" rule(s) it broke before this update; run objectstore-webhook validate")
	}
	if len(kept) == 0 {
		kept = nil
	}
	v.errs = kept
}

// validator accumulates the findings of one Validate call and remembers the Secrets it already fetched,
// since several references usually name the same Secret.
type validator struct {
	ctx       context.Context
	secrets   SecretGetter
	opts      Options
	namespace string
	errs      field.ErrorList
	warns     []string
	fetched   [4]fetchedSecret
	nfetched  int
}

func (v *validator) deny(e *field.Error) { v.errs = append(v.errs, e) }

func (v *validator) warn(p *field.Path, msg string) { v.warns = append(v.warns, p.String()+": "+msg) }

func (v *validator) now() time.Time {
	if v.opts.Now != nil {
		return v.opts.Now()
	}
	return time.Now()
}

// ErrSecretNotFound is what a SecretGetter returns when it can see that the Secret does not exist.
var ErrSecretNotFound = errors.New("secret not found")

// SecretGetter is the read-only view of Secrets the rules need. Get returns ErrSecretNotFound (or a
// Kubernetes NotFound error) when the Secret is known to be absent, and any other error when it cannot
// tell (RBAC forbids, the input set does not cover the namespace): the checks are then skipped.
type SecretGetter interface {
	Get(ctx context.Context, namespace, name string) (*corev1.Secret, error)
}

// IsSecretNotFound tells whether err from a SecretGetter means the Secret is known to be absent.
func IsSecretNotFound(err error) bool {
	return errors.Is(err, ErrSecretNotFound) || apierrors.IsNotFound(err)
}
