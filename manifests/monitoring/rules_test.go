package monitoring_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/objectstore-webhook/objectstore-webhook/internal/contract"
	"github.com/objectstore-webhook/objectstore-webhook/internal/harness/promrules"
)

// TestRulesAreComplete checks what Prometheus and the people it pages need from every rule: a unique name,
// an expression over this project's metrics with balanced brackets and quotes, a valid `for`, a severity
// Alertmanager routes on, and text that says what is wrong.
func TestRulesAreComplete(t *testing.T) {
	rules, err := promrules.Rules()
	if err != nil {
		t.Fatal(err)
	}
	if len(rules) < 8 {
		t.Fatalf("%d rules, want the 8 the file ships", len(rules))
	}
	seen := map[string]bool{}
	duration := regexp.MustCompile(`^[0-9]+(ms|s|m|h|d|w|y)$`)
	for _, r := range rules {
		t.Run(r.Alert, func(t *testing.T) {
			if !regexp.MustCompile(`^[A-Z][A-Za-z0-9]+$`).MatchString(r.Alert) || seen[r.Alert] {
				t.Errorf("alert name %q is not a unique CamelCase name", r.Alert)
			}
			seen[r.Alert] = true
			if len(r.Metrics()) == 0 {
				t.Errorf("expr %q reads none of this project's metrics", r.Expr)
			}
			if err := balanced(r.Expr); err != "" {
				t.Errorf("expr %q: %s", r.Expr, err)
			}
			if r.For != "" && !duration.MatchString(r.For) {
				t.Errorf("for: %q is not a Prometheus duration", r.For)
			}
			if s := r.Labels["severity"]; s != "critical" && s != "warning" {
				t.Errorf("severity %q, want critical or warning", s)
			}
			for _, a := range []string{"summary", "description"} {
				if strings.TrimSpace(r.Annotations[a]) == "" {
					t.Errorf("annotation %s is empty", a)
				}
				if err := balanced(r.Annotations[a]); err != "" {
					t.Errorf("annotation %s: %s", a, err)
				}
			}
		})
	}
}

func TestBalanced(t *testing.T) {
	for in, want := range map[string]string{
		`sum by (a) (rate(x{r=~"a|b"}[5m])) > 0`:      "",
		`{{ $labels.pod }} ({{ $value | humanize }})`: "",
		`sum by (a (rate(x[5m])) > 0`:                 "unclosed (",
		`rate(x[5m)`:                                  "] expected, found )",
		`x{r="a}`:                                     "unterminated string",
		`x > 0)`:                                      "unexpected )",
	} {
		if got := balanced(in); got != want {
			t.Errorf("balanced(%q) = %q, want %q", in, got, want)
		}
	}
}

// balanced reports the first unbalanced bracket or unterminated double-quoted string; "" when there is
// none. It is not a PromQL parser, but it catches what a hand edit most often breaks.
func balanced(s string) string {
	closing := map[rune]rune{'(': ')', '[': ']', '{': '}'}
	var stack []rune
	inString := false
	for _, c := range s {
		switch {
		case inString:
			inString = c != '"'
		case c == '"':
			inString = true
		case closing[c] != 0:
			stack = append(stack, closing[c])
		case c == ')' || c == ']' || c == '}':
			if len(stack) == 0 {
				return "unexpected " + string(c)
			}
			if want := stack[len(stack)-1]; want != c {
				return string(want) + " expected, found " + string(c)
			}
			stack = stack[:len(stack)-1]
		}
	}
	switch {
	case inString:
		return "unterminated string"
	case len(stack) > 0:
		for open, close := range closing {
			if close == stack[len(stack)-1] {
				return "unclosed " + string(open)
			}
		}
	}
	return ""
}

// TestPodMonitorsFindTheWorkloads checks the PodMonitors against what they scrape: the webhook's pod labels
// and metrics port in the Deployment, and for the archiver the pods the pod webhook injects into and the
// port name the sidecar gets.
func TestPodMonitorsFindTheWorkloads(t *testing.T) {
	type podMonitor struct {
		Metadata struct{ Name string } `json:"metadata"`
		Spec     struct {
			NamespaceSelector struct {
				Any bool `json:"any"`
			} `json:"namespaceSelector"`
			Selector struct {
				MatchLabels map[string]string `json:"matchLabels"`
			} `json:"selector"`
			Endpoints []struct {
				Port string `json:"port"`
			} `json:"podMetricsEndpoints"`
		} `json:"spec"`
	}
	monitors := map[string]podMonitor{}
	for _, doc := range documents(t, "podmonitors.yaml") {
		var m podMonitor
		if err := yaml.Unmarshal([]byte(doc), &m); err != nil {
			t.Fatal(err)
		}
		monitors[m.Metadata.Name] = m
	}

	var deploy struct {
		Spec struct {
			Template struct {
				Metadata struct {
					Labels map[string]string `json:"labels"`
				} `json:"metadata"`
				Spec struct {
					Containers []struct {
						Ports []struct {
							Name string `json:"name"`
						} `json:"ports"`
					} `json:"containers"`
				} `json:"spec"`
			} `json:"template"`
		} `json:"spec"`
	}
	if err := yaml.Unmarshal([]byte(documents(t, "../base/deployment.yaml")[0]), &deploy); err != nil {
		t.Fatal(err)
	}
	webhook, ok := monitors["objectstore-webhook"]
	if !ok || len(webhook.Spec.Endpoints) != 1 {
		t.Fatalf("no PodMonitor objectstore-webhook with one endpoint: %+v", monitors)
	}
	for k, v := range webhook.Spec.Selector.MatchLabels {
		if deploy.Spec.Template.Metadata.Labels[k] != v {
			t.Errorf("the webhook PodMonitor selects %s=%s, which the Deployment's pods do not carry", k, v)
		}
	}
	hasPort := false
	for _, c := range deploy.Spec.Template.Spec.Containers {
		for _, p := range c.Ports {
			hasPort = hasPort || p.Name == webhook.Spec.Endpoints[0].Port
		}
	}
	if !hasPort {
		t.Errorf("the webhook PodMonitor scrapes port %q, which the Deployment does not name", webhook.Spec.Endpoints[0].Port)
	}

	archiver, ok := monitors["wal-archiver"]
	if !ok || len(archiver.Spec.Endpoints) != 1 {
		t.Fatalf("no PodMonitor wal-archiver with one endpoint: %+v", monitors)
	}
	if p := archiver.Spec.Endpoints[0].Port; p != contract.PortName {
		t.Errorf("the wal-archiver PodMonitor scrapes port %q; the sidecar's is %q", p, contract.PortName)
	}
	if !archiver.Spec.NamespaceSelector.Any {
		t.Error("the wal-archiver PodMonitor must look in every namespace: Clusters live in their users' namespaces")
	}
	// The pod webhook injects into pods with cnpg.io/podRole=instance (manifests/base/webhooks.yaml).
	webhooks := strings.Join(documents(t, "../base/webhooks.yaml"), "\n")
	for k, v := range archiver.Spec.Selector.MatchLabels {
		if !strings.Contains(webhooks, "key: "+k) || !strings.Contains(webhooks, "values: ["+v+"]") {
			t.Errorf("the wal-archiver PodMonitor selects %s=%s, which the pod webhook's objectSelector does not", k, v)
		}
	}
}

func documents(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, d := range strings.Split(string(b), "\n---\n") {
		if strings.TrimSpace(d) != "" {
			out = append(out, d)
		}
	}
	return out
}
