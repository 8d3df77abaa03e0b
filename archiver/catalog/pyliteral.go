package catalog

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
)

// Dict is a Python dict literal with string keys, in the order it was written: barman's copy_stats. The
// order is kept so that what barman wrote is written back byte for byte.
type Dict []Entry

// Entry is one key of a Dict. Value is nil (None), bool, int64, float64, string, Dict, List or Tuple.
type Entry struct {
	Key   string
	Value any
}

// List is a Python list literal; Tuple a tuple literal. Their elements are values as in Entry.
type (
	List  []any
	Tuple []any
)

// Get returns the value of key, or nil and false.
func (d Dict) Get(key string) (any, bool) {
	for _, e := range d {
		if e.Key == key {
			return e.Value, true
		}
	}
	return nil, false
}

// pyRepr writes v as Python's repr() does, so that ast.literal_eval reads back the same value.
func pyRepr(b *strings.Builder, v any) {
	switch v := v.(type) {
	case nil:
		b.WriteString("None")
	case bool:
		if v {
			b.WriteString("True")
		} else {
			b.WriteString("False")
		}
	case int:
		b.WriteString(strconv.Itoa(v))
	case int64:
		b.WriteString(strconv.FormatInt(v, 10))
	case uint32:
		b.WriteString(strconv.FormatUint(uint64(v), 10))
	case float64:
		b.WriteString(pyFloat(v))
	case string:
		b.WriteString(pyString(v))
	case Dict:
		b.WriteByte('{')
		for i, e := range v {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(pyString(e.Key))
			b.WriteString(": ")
			pyRepr(b, e.Value)
		}
		b.WriteByte('}')
	case List:
		b.WriteByte('[')
		pyItems(b, v)
		b.WriteByte(']')
	case Tuple:
		b.WriteByte('(')
		pyItems(b, v)
		if len(v) == 1 {
			b.WriteByte(',')
		}
		b.WriteByte(')')
	default:
		// Only the types above are ever built by this package or its callers; anything else is a
		// programming error, written as None rather than as a line barman cannot load.
		b.WriteString("None")
	}
}

func pyItems(b *strings.Builder, items []any) {
	for i, e := range items {
		if i > 0 {
			b.WriteString(", ")
		}
		pyRepr(b, e)
	}
}

// pyString is repr(str): single quotes unless the text holds a single quote and no double quote.
func pyString(s string) string {
	quote := '\''
	if strings.ContainsRune(s, '\'') && !strings.ContainsRune(s, '"') {
		quote = '"'
	}
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteRune(quote)
	for _, r := range s {
		switch {
		case r == quote || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < ' ' || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r < 0x7f:
			b.WriteRune(r)
		case unicode.IsPrint(r):
			b.WriteRune(r)
		case r <= 0xff:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r <= 0xffff:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			fmt.Fprintf(&b, `\U%08x`, r)
		}
	}
	b.WriteRune(quote)
	return b.String()
}

// pyFloat is repr(float): the shortest digits that read back exactly, in exponent form when the decimal
// point would be more than 16 places right or 4 places left of them (Python's float_repr_style "short").
func pyFloat(f float64) string {
	// Python writes inf and nan, which literal_eval cannot read back; 1e999 reads back as inf, and a NaN
	// (never a statistic) becomes None.
	switch {
	case math.IsInf(f, 1):
		return "1e999"
	case math.IsInf(f, -1):
		return "-1e999"
	case math.IsNaN(f):
		return "None"
	}
	e := strconv.FormatFloat(f, 'e', -1, 64) // -d.ddde±XX
	sign := ""
	if e[0] == '-' {
		sign, e = "-", e[1:]
	}
	mant, expStr, _ := strings.Cut(e, "e")
	digits := strings.Replace(mant, ".", "", 1)
	exp, _ := strconv.Atoi(expStr)
	decpt := exp + 1 // digits are d1.d2d3... × 10^exp, so the point sits after decpt digits
	if decpt <= -4 || decpt > 16 {
		m := digits[:1]
		if len(digits) > 1 {
			m += "." + digits[1:]
		}
		es := "+"
		if exp < 0 {
			es, exp = "-", -exp
		}
		return fmt.Sprintf("%s%se%s%02d", sign, m, es, exp)
	}
	switch {
	case decpt <= 0:
		return sign + "0." + strings.Repeat("0", -decpt) + digits
	case decpt >= len(digits):
		return sign + digits + strings.Repeat("0", decpt-len(digits)) + ".0"
	default:
		return sign + digits[:decpt] + "." + digits[decpt:]
	}
}
