package jsonscan

import "slices"

// Interner returns constants for the byte strings it knows, so that values every input repeats (API
// versions, kinds, operations, enums) cost no allocation. It looks only at the constants of b's length,
// which keeps a miss to a comparison or two.
type Interner struct{ byLen [64][]string }

// NewInterner knows consts.
func NewInterner(consts ...string) *Interner {
	in := &Interner{}
	for _, c := range consts {
		if len(c) < len(in.byLen) && !slices.Contains(in.byLen[len(c)], c) {
			in.byLen[len(c)] = append(in.byLen[len(c)], c)
		}
	}
	return in
}

// String is string(b), a known constant when it is one.
func (in *Interner) String(b []byte) string {
	if len(b) < len(in.byLen) {
		for _, c := range in.byLen[len(b)] {
			if string(b) == c {
				return c
			}
		}
	}
	return string(b)
}
