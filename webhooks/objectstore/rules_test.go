package objectstore

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation/field"

	v1 "github.com/objectstore-webhook/objectstore-webhook/schema/barmancloud/v1"
)

// ruleDoc names a rule and says what it checks; docs/rules.md is generated from these and the cases.
type ruleDoc struct{ id, checks string }

// ruleCase is one store and the findings expected of it, by field path.
type ruleCase struct {
	rule     string
	name     string
	old, obj *v1.ObjectStore
	getter   SecretGetter // nil: testSecrets()
	noGetter bool         // no view of Secrets at all
	checks   SecretChecks
	deny     []string
	warn     []string
}

func (c ruleCase) run() (field.ErrorList, []string) {
	var g SecretGetter = testSecrets()
	if c.getter != nil {
		g = c.getter
	}
	if c.noGetter {
		g = nil
	}
	opts := testOptions()
	opts.SecretChecks = c.checks
	return Validate(context.Background(), c.old, c.obj, g, opts)
}

// allCases is every table of rule cases, in the order docs/rules.md lists them.
func allCases() []ruleCase {
	return slices.Concat(commonCases(), s3Cases(), azureCases(), googleCases(), secretCases(), upstreamCases(), identityCases())
}

var warningForm = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9.]*(\[[^\]\n]*\])?(\.[a-zA-Z0-9]+)*: \S`)

// warnPath is the field path a warning starts with.
func warnPath(w string) string {
	p, _, _ := strings.Cut(w, ": ")
	return p
}

func TestRules(t *testing.T) {
	for _, c := range allCases() {
		t.Run(c.rule+"/"+c.name, func(t *testing.T) {
			errs, warns := c.run()
			var gotDeny, gotWarn []string
			for _, e := range errs {
				gotDeny = append(gotDeny, e.Field)
			}
			for _, w := range warns {
				gotWarn = append(gotWarn, warnPath(w))
			}
			if !sameSet(gotDeny, c.deny) {
				t.Errorf("denials at %q, want %q:\n%v", gotDeny, c.deny, errs)
			}
			if !sameSet(gotWarn, c.warn) {
				t.Errorf("warnings at %q, want %q:\n%q", gotWarn, c.warn, warns)
			}
			checkMessages(t, errs, warns)
		})
	}
}

// checkMessages holds every message to the limits and to the secret rule.
func checkMessages(t *testing.T, errs field.ErrorList, warns []string) {
	t.Helper()
	for _, e := range errs {
		msg := e.Error()
		if len(msg) > MaxDenialLen || strings.Contains(msg, "\n") {
			t.Errorf("denial of %d bytes or several lines: %q", len(msg), msg)
		}
		if strings.Contains(msg, planted) || strings.Contains(msg, "sig=") {
			t.Errorf("denial leaks a secret: %q", msg)
		}
	}
	for _, w := range warns {
		if len(w) > MaxWarningLen || strings.Contains(w, "\n") {
			t.Errorf("warning of %d bytes or several lines: %q", len(w), w)
		}
		if !warningForm.MatchString(w) {
			t.Errorf("warning does not start with a field path: %q", w)
		}
		if strings.Contains(w, planted) || strings.Contains(w, "sig=") {
			t.Errorf("warning leaks a secret: %q", w)
		}
		// A store has two possible consumers that differ in what they read: a warning that something is
		// ignored says by whom, so that it is not read as barman's behaviour where wal-archiver acts.
		if strings.Contains(w, "ignore") && !strings.Contains(w, "barman-cloud") && !strings.Contains(w, "wal-archiver") &&
			!strings.Contains(w, "pod webhook") {
			t.Errorf("warning says something is ignored without naming by whom (barman-cloud, wal-archiver, the pod webhook): %q", w)
		}
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// TestEveryRuleHasBothSides: each rule has a case it accepts and a case it refuses or warns about.
func TestEveryRuleHasBothSides(t *testing.T) {
	accepted, refused := map[string]bool{}, map[string]bool{}
	known := map[string]bool{}
	for _, r := range ruleDocs {
		known[r.id] = true
	}
	for _, c := range allCases() {
		if !known[c.rule] {
			t.Errorf("case %s/%s names an undocumented rule", c.rule, c.name)
		}
		if len(c.deny)+len(c.warn) == 0 {
			accepted[c.rule] = true
		} else {
			refused[c.rule] = true
		}
	}
	for _, r := range ruleDocs {
		if !accepted[r.id] || !refused[r.id] {
			t.Errorf("rule %s: accepted case %v, refused or warned case %v", r.id, accepted[r.id], refused[r.id])
		}
	}
}

func TestNilStore(t *testing.T) {
	if errs, warns := Validate(context.Background(), nil, nil, nil, Options{}); errs != nil || warns != nil {
		t.Fatalf("nil store: %v %v", errs, warns)
	}
}

func TestParseSecretChecks(t *testing.T) {
	for _, s := range []string{"deny", "warn", "off"} {
		c, err := ParseSecretChecks(s)
		if err != nil || c.String() != s {
			t.Errorf("%s: %v %v", s, c, err)
		}
	}
	if _, err := ParseSecretChecks("strict"); err == nil {
		t.Error("strict accepted")
	}
}
