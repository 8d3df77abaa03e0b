package objectstore

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Values copied from the object into messages are clipped so that a message stays one short line
// whatever the input; these are the budgets, counted after Go quoting.
const (
	maxValueInDenial  = 80
	maxNameInMessage  = 40
	maxKeyInFieldPath = 40
)

// clip shortens s so that strconv.Quote of the result is at most max bytes, ending in "..." when cut.
func clip(s string, max int) string {
	if len(s)+2 <= max && isPlain(s) {
		return s
	}
	if len(strconv.Quote(s)) <= max {
		return s
	}
	cut := len(s)
	if cut > max {
		cut = max
	}
	for cut > 0 {
		_, size := utf8.DecodeLastRuneInString(s[:cut])
		cut -= size
		if len(strconv.Quote(s[:cut]))+3 <= max {
			return s[:cut] + "..."
		}
	}
	return "..."
}

// q quotes s for a message, clipped to max bytes.
func q(s string, max int) string { return strconv.Quote(clip(s, max)) }

// quote quotes a short, already trusted string.
func quote(s string) string { return q(s, maxNameInMessage) }

// isPlain tells whether s is printable ASCII without quotes or backslashes, which Go quoting leaves as is.
func isPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// pathKey makes a map key safe to print inside a field path: one line, bounded length.
func pathKey(k string) string {
	if len(k) <= maxKeyInFieldPath && isPlain(k) {
		return k
	}
	var b strings.Builder
	for _, r := range k {
		if b.Len() >= maxKeyInFieldPath-3 {
			b.WriteString("...")
			break
		}
		if r < 0x20 || r > 0x7e {
			r = '?'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// displayURL is what a message may show of a URL: without user information, query or fragment, which is
// where people paste passwords and SAS tokens.
func displayURL(s string) string {
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		s = s[:i]
	}
	if i := strings.Index(s, "://"); i >= 0 {
		rest := s[i+3:]
		host := rest
		if j := strings.IndexByte(rest, '/'); j >= 0 {
			host = rest[:j]
		}
		if at := strings.LastIndexByte(host, '@'); at >= 0 {
			s = s[:i+3] + rest[at+1:]
		}
	}
	return clip(s, maxValueInDenial)
}

// hasCredentialsInURL tells whether a URL carries user information, a query or a fragment.
func hasCredentialsInURL(s string) bool {
	if strings.ContainsAny(s, "?#") {
		return true
	}
	i := strings.Index(s, "://")
	if i < 0 {
		return false
	}
	rest := s[i+3:]
	if j := strings.IndexByte(rest, '/'); j >= 0 {
		rest = rest[:j]
	}
	return strings.IndexByte(rest, '@') >= 0
}
