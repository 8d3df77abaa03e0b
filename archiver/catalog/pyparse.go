package catalog

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// litParser reads the subset of Python literals that ast.literal_eval accepts and barman writes: None,
// True, False, numbers, strings (with prefixes, escapes and implicit concatenation), lists, tuples and
// dicts.
type litParser struct {
	s     string
	pos   int
	depth int
}

// maxDepth bounds nesting so that untrusted input cannot exhaust the stack.
const maxDepth = 64

func parseLiteral(s string) (any, error) {
	p := &litParser{s: s}
	v, err := p.value()
	if err != nil {
		return nil, err
	}
	p.space()
	if p.pos != len(p.s) {
		return nil, p.errorf("unexpected %q after the value", p.rest(10))
	}
	return v, nil
}

func (p *litParser) errorf(format string, args ...any) error {
	return fmt.Errorf("Python literal, column %d: %s", p.pos+1, fmt.Sprintf(format, args...))
}

func (p *litParser) rest(n int) string {
	r := p.s[p.pos:]
	if len(r) > n {
		r = r[:n]
	}
	return r
}

func (p *litParser) space() {
	for p.pos < len(p.s) && (p.s[p.pos] == ' ' || p.s[p.pos] == '\t' || p.s[p.pos] == '\f') {
		p.pos++
	}
}

func (p *litParser) value() (any, error) {
	p.space()
	if p.pos >= len(p.s) {
		return nil, p.errorf("expected a value, found the end")
	}
	switch c := p.s[p.pos]; {
	case c == '[':
		items, _, err := p.sequence('[', ']')
		return List(items), err
	case c == '(':
		return p.tuple()
	case c == '{':
		return p.dict()
	case c == '\'' || c == '"':
		return p.strings()
	case c == '-' || c == '+' || c == '.' || '0' <= c && c <= '9':
		return p.number()
	case isIdentStart(c):
		start := p.pos
		for p.pos < len(p.s) && isIdentPart(p.s[p.pos]) {
			p.pos++
		}
		word := p.s[start:p.pos]
		if p.pos < len(p.s) && (p.s[p.pos] == '\'' || p.s[p.pos] == '"') && isStringPrefix(word) {
			p.pos = start
			return p.strings()
		}
		switch word {
		case "None":
			return nil, nil
		case "True":
			return true, nil
		case "False":
			return false, nil
		}
		p.pos = start
		return nil, p.errorf("%q is not a literal (only None, True, False, numbers, strings, lists, tuples and dicts are)", word)
	default:
		return nil, p.errorf("unexpected %q", p.rest(10))
	}
}

func isIdentStart(c byte) bool { return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isIdentPart(c byte) bool  { return isIdentStart(c) || '0' <= c && c <= '9' }

func isStringPrefix(w string) bool {
	switch strings.ToLower(w) {
	case "r", "u":
		return true
	}
	return false
}

func (p *litParser) enter() error {
	p.depth++
	if p.depth > maxDepth {
		return p.errorf("nested more than %d levels deep", maxDepth)
	}
	return nil
}

// sequence reads open item, item, ... close, allowing a trailing comma; comma tells whether there was one.
func (p *litParser) sequence(open, close byte) (items []any, comma bool, err error) {
	if err := p.enter(); err != nil {
		return nil, false, err
	}
	defer func() { p.depth-- }()
	p.pos++ // open
	items = []any{}
	for {
		p.space()
		if p.pos < len(p.s) && p.s[p.pos] == close {
			p.pos++
			return items, comma, nil
		}
		v, err := p.value()
		if err != nil {
			return nil, false, err
		}
		items = append(items, v)
		p.space()
		if p.pos >= len(p.s) {
			return nil, false, p.errorf("missing %q", close)
		}
		switch p.s[p.pos] {
		case ',':
			comma = true
			p.pos++
		case close:
			p.pos++
			return items, comma, nil
		default:
			return nil, false, p.errorf("expected ',' or %q, found %q", close, p.rest(10))
		}
	}
}

// tuple reads (...): a parenthesised single value without a comma is that value, as in Python.
func (p *litParser) tuple() (any, error) {
	items, comma, err := p.sequence('(', ')')
	if err != nil {
		return nil, err
	}
	if len(items) == 1 && !comma {
		return items[0], nil
	}
	return Tuple(items), nil
}

func (p *litParser) dict() (any, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	p.pos++ // {
	d := Dict{}
	for {
		p.space()
		if p.pos < len(p.s) && p.s[p.pos] == '}' {
			p.pos++
			return d, nil
		}
		k, err := p.value()
		if err != nil {
			return nil, err
		}
		key, ok := k.(string)
		if !ok {
			return nil, p.errorf("a dict key must be a string here, found %s", typeName(k))
		}
		p.space()
		if p.pos >= len(p.s) || p.s[p.pos] != ':' {
			return nil, p.errorf("expected ':' after the key %q", key)
		}
		p.pos++
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		// Python keeps the first position of a repeated key with the last value.
		replaced := false
		for i := range d {
			if d[i].Key == key {
				d[i].Value, replaced = v, true
			}
		}
		if !replaced {
			d = append(d, Entry{Key: key, Value: v})
		}
		p.space()
		if p.pos >= len(p.s) {
			return nil, p.errorf("missing '}'")
		}
		switch p.s[p.pos] {
		case ',':
			p.pos++
		case '}':
			p.pos++
			return d, nil
		default:
			return nil, p.errorf("expected ',' or '}', found %q", p.rest(10))
		}
	}
}

func (p *litParser) number() (any, error) {
	start := p.pos
	neg := false
	// literal_eval takes one sign applied to a number, not "--5".
	if c := p.s[p.pos]; c == '-' || c == '+' {
		neg = c == '-'
		p.pos++
		p.space()
	}
	numStart := p.pos
	isFloat := false
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		switch {
		case '0' <= c && c <= '9' || c == '_':
		case c == '.':
			isFloat = true
		case c == 'e' || c == 'E':
			isFloat = true
			if p.pos+1 < len(p.s) && (p.s[p.pos+1] == '+' || p.s[p.pos+1] == '-') {
				p.pos++
			}
		default:
			goto done
		}
		p.pos++
	}
done:
	text := p.s[numStart:p.pos]
	if text == "" || strings.HasPrefix(text, "_") || strings.HasSuffix(text, "_") || strings.Contains(text, "__") {
		p.pos = start
		return nil, p.errorf("%q is not a number", p.rest(20))
	}
	clean := strings.ReplaceAll(text, "_", "")
	if isFloat {
		f, err := strconv.ParseFloat(clean, 64)
		if err != nil && !isRangeErr(err) {
			p.pos = start
			return nil, p.errorf("%q is not a number", text)
		}
		if neg {
			f = -f
		}
		return f, nil
	}
	if len(clean) > 1 && clean[0] == '0' && strings.Trim(clean, "0") != "" {
		p.pos = start
		return nil, p.errorf("%q: Python does not allow leading zeros in an integer", text)
	}
	if neg {
		clean = "-" + clean
	}
	i, err := strconv.ParseInt(clean, 10, 64)
	if err != nil {
		p.pos = start
		return nil, p.errorf("integer %q does not fit in 64 bits", text)
	}
	return i, nil
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// strings reads one or more adjacent string literals, which Python concatenates.
func (p *litParser) strings() (any, error) {
	var b strings.Builder
	for {
		if err := p.stringLit(&b); err != nil {
			return nil, err
		}
		save := p.pos
		p.space()
		if p.pos < len(p.s) {
			c := p.s[p.pos]
			if c == '\'' || c == '"' {
				continue
			}
			if j := p.pos; j+1 < len(p.s) && isStringPrefix(p.s[j:j+1]) && (p.s[j+1] == '\'' || p.s[j+1] == '"') {
				continue
			}
		}
		p.pos = save
		return b.String(), nil
	}
}

func (p *litParser) stringLit(b *strings.Builder) error {
	raw := false
	for p.pos < len(p.s) && isIdentStart(p.s[p.pos]) {
		switch p.s[p.pos] {
		case 'r', 'R':
			raw = true
		case 'u', 'U':
		default:
			return p.errorf("unsupported string prefix %q", p.s[p.pos:p.pos+1])
		}
		p.pos++
	}
	if p.pos >= len(p.s) {
		return p.errorf("expected a string")
	}
	q := p.s[p.pos]
	delim := string(q)
	if strings.HasPrefix(p.s[p.pos:], strings.Repeat(delim, 3)) {
		delim = strings.Repeat(delim, 3)
	}
	open := p.pos
	p.pos += len(delim)
	for {
		if p.pos >= len(p.s) {
			p.pos = open
			return p.errorf("unterminated string")
		}
		if strings.HasPrefix(p.s[p.pos:], delim) {
			p.pos += len(delim)
			return nil
		}
		c := p.s[p.pos]
		if c == '\n' && len(delim) == 1 {
			return p.errorf("line break inside a string")
		}
		if c != '\\' {
			r, size := utf8.DecodeRuneInString(p.s[p.pos:])
			b.WriteRune(r)
			p.pos += size
			continue
		}
		if p.pos+1 >= len(p.s) {
			p.pos = open
			return p.errorf("unterminated string")
		}
		if raw {
			b.WriteString(p.s[p.pos : p.pos+2])
			p.pos += 2
			continue
		}
		if err := p.escape(b); err != nil {
			return err
		}
	}
}

var simpleEscapes = map[byte]string{'\\': "\\", '\'': "'", '"': "\"", 'a': "\a", 'b': "\b", 'f': "\f",
	'n': "\n", 'r': "\r", 't': "\t", 'v': "\v", '\n': ""}

// escape decodes one backslash sequence at p.pos; unknown ones stay as written, as in Python.
func (p *litParser) escape(b *strings.Builder) error {
	c := p.s[p.pos+1]
	if s, ok := simpleEscapes[c]; ok {
		b.WriteString(s)
		p.pos += 2
		return nil
	}
	hex := func(n int) error {
		if p.pos+2+n > len(p.s) {
			return p.errorf("truncated \\%c escape", c)
		}
		v, err := strconv.ParseUint(p.s[p.pos+2:p.pos+2+n], 16, 32)
		if err != nil {
			return p.errorf("bad \\%c escape %q", c, p.s[p.pos:p.pos+2+n])
		}
		if v > unicode.MaxRune || (v >= 0xD800 && v <= 0xDFFF) {
			return p.errorf("escape %q is not a character this file can hold", p.s[p.pos:p.pos+2+n])
		}
		b.WriteRune(rune(v))
		p.pos += 2 + n
		return nil
	}
	switch c {
	case 'x':
		return hex(2)
	case 'u':
		return hex(4)
	case 'U':
		return hex(8)
	case 'N':
		return p.errorf("\\N{...} escapes are not supported")
	}
	if '0' <= c && c <= '7' {
		end := p.pos + 1
		for end < len(p.s) && end < p.pos+4 && '0' <= p.s[end] && p.s[end] <= '7' {
			end++
		}
		v, _ := strconv.ParseUint(p.s[p.pos+1:end], 8, 32)
		b.WriteRune(rune(v))
		p.pos = end
		return nil
	}
	b.WriteByte('\\')
	p.pos++
	return nil
}

func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "None"
	case bool:
		return "a bool"
	case int64:
		return "an int"
	case float64:
		return "a float"
	case string:
		return "a string"
	case Dict:
		return "a dict"
	case List:
		return "a list"
	case Tuple:
		return "a tuple"
	}
	return fmt.Sprintf("%T", v)
}
