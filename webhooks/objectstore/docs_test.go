package objectstore

import (
	"bytes"
	"flag"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the generated rule tables of docs/rules.md and README.md")

// ruleTables are the documents carrying the generated rule table: the reference page and the README.
var ruleTables = []string{"../../docs/rules.md", "../../README.md"}

const (
	beginTable = "<!-- BEGIN GENERATED: go test ./webhooks/objectstore -run TestRulesDoc -update -->\n"
	endTable   = "<!-- END GENERATED -->\n"
)

// TestRulesDoc keeps the rule tables of docs/rules.md and README.md equal to what the rules produce for the
// test cases.
func TestRulesDoc(t *testing.T) {
	want := renderRules(t)
	for _, rulesDoc := range ruleTables {
		checkRuleTable(t, rulesDoc, want)
	}
}

func checkRuleTable(t *testing.T, rulesDoc, want string) {
	t.Helper()
	doc, err := os.ReadFile(rulesDoc)
	if err != nil {
		t.Fatal(err)
	}
	begin, end := bytes.Index(doc, []byte(beginTable)), bytes.Index(doc, []byte(endTable))
	if begin < 0 || end < begin {
		t.Fatalf("%s lacks the markers %q and %q", rulesDoc, beginTable, endTable)
	}
	got := string(doc[begin+len(beginTable) : end])
	if got == want {
		return
	}
	if !*update {
		t.Errorf("%s is stale; refresh it with: go test ./webhooks/objectstore -run TestRulesDoc -update", rulesDoc)
		return
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
