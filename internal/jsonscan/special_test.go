package jsonscan

import (
	"encoding/binary"
	"testing"
)

// TestSpecial checks the word-at-a-time test against the byte table for every byte value in every
// position, with ordinary bytes around it.
func TestSpecial(t *testing.T) {
	for pos := range 8 {
		for c := range 256 {
			var word [8]byte
			for i := range word {
				word[i] = 'a' + byte(i)
			}
			word[pos] = byte(c)
			want := !plain[c]
			if got := special(binary.LittleEndian.Uint64(word[:])); got != want {
				t.Errorf("byte %#x at %d: special %v, want %v", c, pos, got, want)
			}
		}
	}
}

// BenchmarkSkipString is a 60-byte string, about the longest in a pod's names and values.
func BenchmarkSkipString(b *testing.B) {
	s := []byte(`"/controller/manager --app-db-name app --status-port 8000 xyz"`)
	for b.Loop() {
		if SkipString(s, 0) != len(s) {
			b.Fatal("wrong end")
		}
	}
}
