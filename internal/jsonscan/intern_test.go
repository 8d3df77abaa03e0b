package jsonscan

import (
	"strings"
	"testing"
)

func TestInternerReturnsItsConstants(t *testing.T) {
	in := NewInterner("v1", "CREATE", "UPDATE", "", strings.Repeat("x", 70))
	for _, s := range []string{"v1", "CREATE", "UPDATE", "", "DELETE", "v2", strings.Repeat("x", 70)} {
		if got := in.String([]byte(s)); got != s {
			t.Errorf("String(%q) = %q", s, got)
		}
	}
	if n := testing.AllocsPerRun(100, func() { _ = in.String([]byte("UPDATE")) }); n != 0 {
		t.Errorf("a known constant cost %v allocations", n)
	}
}
