package layout

import (
	"bufio"
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// Switch is one line of a timeline history file: timeline TLI ended at LSN End.
type Switch struct {
	TLI uint32
	End uint64
}

// ParseHistory reads a timeline history file (lines "parentTLI<TAB>X/Y<TAB>reason", comments with #).
func ParseHistory(content []byte) ([]Switch, error) {
	var out []Switch
	sc := bufio.NewScanner(bytes.NewReader(content))
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		fields := strings.Fields(text)
		if len(fields) < 2 {
			return nil, fmt.Errorf("history line %d %q: expected a timeline and a switch LSN", line, text)
		}
		tli, err := strconv.ParseUint(fields[0], 10, 32)
		if err != nil {
			return nil, fmt.Errorf("history line %d: timeline %q is not a number", line, fields[0])
		}
		end, err := ParseLSN(fields[1])
		if err != nil {
			return nil, fmt.Errorf("history line %d: %w", line, err)
		}
		if n := len(out); n > 0 && (uint32(tli) <= out[n-1].TLI || end < out[n-1].End) {
			return nil, fmt.Errorf("history line %d: timelines must increase and switch points must not go back", line)
		}
		out = append(out, Switch{TLI: uint32(tli), End: end})
	}
	return out, sc.Err()
}

// TimelineOf is the timeline that holds lsn according to history, current if no listed timeline does
// (PostgreSQL's tliOfPointInHistory).
func TimelineOf(lsn uint64, history []Switch, current uint32) uint32 {
	for _, s := range history {
		if lsn < s.End {
			return s.TLI
		}
	}
	return current
}

// SwitchPoint is where timeline tli began (the end of its parent) according to history, the history file
// of timeline current; false for a timeline history does not list as a child.
func SwitchPoint(tli uint32, history []Switch, current uint32) (uint64, bool) {
	for i, s := range history {
		child := current
		if i+1 < len(history) {
			child = history[i+1].TLI
		}
		if child == tli {
			return s.End, true
		}
	}
	return 0, false
}

// ParseLSN reads PostgreSQL's "X/Y" notation.
func ParseLSN(s string) (uint64, error) {
	hi, lo, ok := strings.Cut(s, "/")
	if !ok {
		return 0, fmt.Errorf("LSN %q: expected the form X/Y in hex", s)
	}
	h, err1 := strconv.ParseUint(hi, 16, 32)
	l, err2 := strconv.ParseUint(lo, 16, 32)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("LSN %q: expected the form X/Y in hex", s)
	}
	return h<<32 | l, nil
}

// FormatLSN prints an LSN as PostgreSQL does.
func FormatLSN(lsn uint64) string { return fmt.Sprintf("%X/%X", lsn>>32, uint32(lsn)) }
