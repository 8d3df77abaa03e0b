package objectstore

import (
	"bytes"
	"flag"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the generated part of docs/rules.md")

const (
	rulesDoc   = "../../docs/rules.md"
	beginTable = "<!-- BEGIN GENERATED: go test ./webhooks/objectstore -run TestRulesDoc -update -->\n"
	endTable   = "<!-- END GENERATED -->\n"
)

// TestRulesDoc keeps the rule table of docs/rules.md equal to what the rules produce for the test cases.
func TestRulesDoc(t *testing.T) {
	doc, err := os.ReadFile(rulesDoc)
	if err != nil {
		t.Fatal(err)
	}
	begin, end := bytes.Index(doc, []byte(beginTable)), bytes.Index(doc, []byte(endTable))
	if begin < 0 || end < begin {
		t.Fatalf("%s lacks the markers %q and %q", rulesDoc, beginTable, endTable)
	}
	want := renderRules(t)
	got := string(doc[begin+len(beginTable) : end])
	if got == want {
		return
	}
	if !*update {
		t.Fatalf("%s is stale; refresh it with: go test ./webhooks/objectstore -run TestRulesDoc -update", rulesDoc)
	}
	out := append(append(append([]byte{}, doc[:begin+len(beginTable)]...), want...), doc[end:]...)
	if err := os.WriteFile(rulesDoc, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

func renderRules(t *testing.T) string {
	var b strings.Builder
	b.WriteString("| Rule | What it checks | Level | Case | Message, exactly as produced |\n|---|---|---|---|---|\n")
	byRule := map[string][]ruleCase{}
	for _, c := range allCases() {
		byRule[c.rule] = append(byRule[c.rule], c)
	}
	for _, r := range ruleDocs {
		first := true
		for _, c := range byRule[r.id] {
			errs, warns := c.run()
			var rows [][2]string
			for _, e := range errs {
				rows = append(rows, [2]string{"deny", e.Error()})
			}
			for _, w := range warns {
				rows = append(rows, [2]string{"warn", w})
			}
			for _, row := range rows {
				id, checks := "", ""
				if first {
					id, checks, first = "`"+r.id+"`", r.checks, false
				}
				b.WriteString("| " + id + " | " + cell(checks) + " | " + row[0] + " | " + cell(c.name) + " | `" + cell(row[1]) + "` |\n")
			}
		}
		if first {
			t.Errorf("rule %s produces no finding", r.id)
		}
	}
	return b.String()
}

func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
