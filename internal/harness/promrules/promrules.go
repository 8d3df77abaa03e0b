package promrules

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"sigs.k8s.io/yaml"

	"github.com/objectstore-webhook/objectstore-webhook/manifests/monitoring"
)

// Rule is one alerting rule as shipped in prometheusrule.yaml.
type Rule struct {
	Group       string            `json:"-"`
	Alert       string            `json:"alert"`
	Expr        string            `json:"expr"`
	For         string            `json:"for"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
}

// Rules returns every alerting rule of the PrometheusRule, in file order.
func Rules() ([]Rule, error) {
	var doc struct {
		APIVersion string         `json:"apiVersion"`
		Kind       string         `json:"kind"`
		Metadata   map[string]any `json:"metadata"`
		Spec       struct {
			Groups []struct {
				Name  string `json:"name"`
				Rules []Rule `json:"rules"`
			} `json:"groups"`
		} `json:"spec"`
	}
	if err := yaml.UnmarshalStrict(monitoring.PrometheusRule, &doc); err != nil {
		return nil, fmt.Errorf("prometheusrule.yaml: %w", err)
	}
	if doc.Kind != "PrometheusRule" {
		return nil, fmt.Errorf("prometheusrule.yaml: kind %q, want PrometheusRule", doc.Kind)
	}
	var out []Rule
	for _, g := range doc.Spec.Groups {
		for _, r := range g.Rules {
			r.Group = g.Name
			out = append(out, r)
		}
	}
	return out, nil
}

// metricName matches a metric name of this project in a PromQL expression: both binaries prefix theirs.
var metricName = regexp.MustCompile(`\b(?:objectstore_webhook|wal_archiver)_[a-z0-9_]+\b`)

// Metrics returns the names of this project's metrics an expression reads.
func (r Rule) Metrics() []string { return metricName.FindAllString(r.Expr, -1) }

// labelMatcher matches name="value" and name=~"a|b" in a selector.
var labelMatcher = regexp.MustCompile(`([a-z_]+)=~?"([^"]*)"`)

// Matched returns, by label name, the values an expression's selectors match exactly or by alternation
// (reason=~"upload|connect" gives reason: upload, connect).
func (r Rule) Matched() map[string][]string {
	out := map[string][]string{}
	for _, m := range labelMatcher.FindAllStringSubmatch(r.Expr, -1) {
		out[m[1]] = append(out[m[1]], strings.Split(m[2], "|")...)
	}
	return out
}

// Check compares the rules with what g exports, for the metrics whose names start with prefix (one binary's
// metrics): it returns, in words, each name an expression reads that g does not export, and each label
// value an expression matches that no exported series of those metrics carries. A rule over a renamed
// metric or label value would otherwise never fire.
func Check(g prometheus.Gatherer, prefix string) ([]string, error) {
	rules, err := Rules()
	if err != nil {
		return nil, err
	}
	families, err := g.Gather()
	if err != nil {
		return nil, err
	}
	exported := map[string]map[string]map[string]bool{} // name → label → values
	for _, f := range families {
		labels := map[string]map[string]bool{}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if labels[l.GetName()] == nil {
					labels[l.GetName()] = map[string]bool{}
				}
				labels[l.GetName()][l.GetValue()] = true
			}
		}
		exported[f.GetName()] = labels
		if f.GetType() == dto.MetricType_HISTOGRAM {
			for _, suffix := range []string{"_bucket", "_sum", "_count"} {
				exported[f.GetName()+suffix] = labels
			}
		}
	}
	var problems []string
	read := 0
	for _, r := range rules {
		var mine []string
		for _, name := range r.Metrics() {
			if !strings.HasPrefix(name, prefix) {
				continue
			}
			read++
			mine = append(mine, name)
			if _, ok := exported[name]; !ok {
				problems = append(problems, fmt.Sprintf("alert %s reads %s, which is not exported", r.Alert, name))
			}
		}
		for label, values := range r.Matched() {
			for _, v := range values {
				if len(mine) > 0 && !slices.ContainsFunc(mine, func(name string) bool { return exported[name][label][v] }) {
					problems = append(problems, fmt.Sprintf("alert %s matches %s=%q, which no series of %v carries", r.Alert, label, v, mine))
				}
			}
		}
	}
	if read == 0 {
		problems = append(problems, "no alert reads a metric named "+prefix+"*")
	}
	return problems, nil
}
