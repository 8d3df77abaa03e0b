package check

import (
	"strings"
	"testing"
)

func TestWriteAndExitCode(t *testing.T) {
	steps := []Step{{Name: StepReach, OK: true}, {Name: StepWrite, Class: ClassPermission, Message: `permission denied on bucket "wal"`}}
	var b strings.Builder
	if err := Write(&b, steps); err != nil {
		t.Fatal(err)
	}
	want := "ok    " + StepReach + "\nFAIL  " + StepWrite + `: permission denied on bucket "wal"` + "\n"
	if b.String() != want {
		t.Fatalf("Write:\n%s\nwant:\n%s", b.String(), want)
	}
	for _, c := range []struct {
		steps []Step
		want  int
	}{
		{[]Step{{OK: true}}, 0},
		{nil, 1},
		{[]Step{{Class: ClassConnect}}, 2},
		{[]Step{{Class: ClassTLS}}, 2},
		{[]Step{{Class: ClassDNS}}, 2},
		{[]Step{{Class: ClassBucket}}, 1},
		{[]Step{{Class: ClassAuth}}, 1},
		{steps, 1},
	} {
		if got := ExitCode(c.steps); got != c.want {
			t.Errorf("ExitCode(%+v) = %d, want %d", c.steps, got, c.want)
		}
	}
}
