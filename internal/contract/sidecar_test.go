package contract

import "testing"

// The order is the docs' and the flag list's; a duplicate flag or variable would make wal-archiver's flag
// registration panic or one setting shadow another.
func TestSettingsAreUnique(t *testing.T) {
	flags, envs := map[string]bool{}, map[string]bool{}
	got := Settings()
	if len(got) == 0 || got[0] != DestinationPath {
		t.Fatalf("Settings() = %d settings, want DestinationPath first, in declaration order", len(got))
	}
	for _, s := range got {
		if s.Flag == "" || s.Env == "" || s.Help == "" {
			t.Errorf("setting %+v lacks a flag, a variable or a help text", s)
		}
		if flags[s.Flag] || envs[s.Env] {
			t.Errorf("setting --%s (%s) is declared twice", s.Flag, s.Env)
		}
		flags[s.Flag], envs[s.Env] = true, true
	}
	got[0] = Setting{}
	if Settings()[0] != DestinationPath {
		t.Error("Settings() hands out the package's own slice: a caller can change every later caller's settings")
	}
}
