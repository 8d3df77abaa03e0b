package catalog

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// newerKey is what a key of a later barman version must look like to be kept in Info.Newer; barman's keys
// are Python attribute names.
var newerKey = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

// Parse reads a backup.info as barman's FieldListFile.load does: lines split at the first "=", both sides
// stripped, blank lines and lines starting with "#" skipped, "None" for unset, the last of repeated keys
// wins. It is stricter than barman only where barman would accept a value of the wrong type (an int
// where a string belongs) that its own code then fails on. Keys of later barman versions are kept in
// Newer instead of failing, so that backups written by the CloudNativePG plugin (barman 3.19) can be
// read. The error names the line it could not read.
func Parse(content []byte) (Info, error) {
	var info Info
	lineNo := 0
	for len(content) > 0 {
		lineNo++
		var line []byte
		if i := bytes.IndexByte(content, '\n'); i >= 0 {
			line, content = content[:i+1], content[i+1:]
		} else {
			line, content = content, nil
		}
		if !utf8.Valid(line) {
			return Info{}, fmt.Errorf("backup.info line %d is not UTF-8", lineNo)
		}
		text := string(line)
		if strings.TrimSpace(text) == "" || strings.HasPrefix(strings.TrimRight(text, " \t\r\n\v\f"), "#") {
			continue
		}
		key, value, ok := strings.Cut(text, "=")
		if !ok {
			return Info{}, fmt.Errorf("backup.info line %d %q: expected key=value", lineNo, clip(strings.TrimSpace(text)))
		}
		key, value = strings.TrimSpace(key), strings.TrimSpace(value)
		if err := info.set(key, value); err != nil {
			return Info{}, fmt.Errorf("backup.info line %d (%s): %w", lineNo, clip(key), err)
		}
	}
	return info, nil
}

// clip keeps error messages short whatever the input.
func clip(s string) string {
	if len(s) > 60 {
		return s[:60] + "..."
	}
	return s
}

func (i *Info) set(key, value string) error {
	none := value == "None"
	text := func(dst *string) error {
		if none {
			*dst = ""
		} else {
			*dst = value
		}
		return nil
	}
	integer := func(dst **int64) error {
		if none {
			*dst = nil
			return nil
		}
		v, err := parseInt(value)
		if err != nil {
			return err
		}
		*dst = &v
		return nil
	}
	stamp := func(dst *time.Time) error {
		if none {
			*dst = time.Time{}
			return nil
		}
		t, err := ParseTime(value)
		if err != nil {
			return err
		}
		*dst = t
		return nil
	}
	switch key {
	case "backup_label":
		return literalString(value, none, &i.BackupLabel)
	case "backup_name":
		return text(&i.BackupName)
	case "begin_offset":
		return integer(&i.BeginOffset)
	case "begin_time":
		return stamp(&i.BeginTime)
	case "begin_wal":
		return text(&i.BeginWAL)
	case "begin_xlog":
		return text(&i.BeginXLog)
	case "compression":
		return text(&i.Compression)
	case "config_file":
		return text(&i.ConfigFile)
	case "copy_stats":
		return literalDict(value, none, &i.CopyStats)
	case "deduplicated_size":
		return integer(&i.DeduplicatedSize)
	case "end_offset":
		return integer(&i.EndOffset)
	case "end_time":
		return stamp(&i.EndTime)
	case "end_wal":
		return text(&i.EndWAL)
	case "end_xlog":
		return text(&i.EndXLog)
	case "error":
		return text(&i.Error)
	case "hba_file":
		return text(&i.HBAFile)
	case "ident_file":
		return text(&i.IdentFile)
	case "included_files":
		return literalStrings(value, none, &i.IncludedFiles)
	case "mode":
		return text(&i.Mode)
	case "pgdata":
		return text(&i.PGData)
	case "server_name":
		return text(&i.ServerName)
	case "size":
		return integer(&i.Size)
	case "snapshots_info":
		var checked Dict // kept as written; only checked to be a dict
		if err := literalDict(value, none, &checked); err != nil {
			return err
		}
		return text(&i.SnapshotsInfo)
	case "status":
		return text(&i.Status)
	case "systemid":
		return text(&i.SystemID)
	case "tablespaces":
		return literalTablespaces(value, none, &i.Tablespaces)
	case "timeline":
		return integer(&i.Timeline)
	case "version":
		return integer(&i.Version)
	case "xlog_segment_size":
		return integer(&i.XLogSegmentSize)
	}
	if !newerKey.MatchString(key) {
		return fmt.Errorf("%q is not a backup.info key (keys are lower-case names such as begin_time)", clip(key))
	}
	if i.Newer == nil {
		i.Newer = map[string]string{}
	}
	i.Newer[key] = value
	return nil
}

// parseInt is Python's int() of a decimal text: an optional sign, digits, single underscores between them.
func parseInt(s string) (int64, error) {
	clean := strings.ReplaceAll(s, "_", "")
	digits := strings.TrimLeft(clean, "+-")
	if digits == "" || len(clean)-len(digits) > 1 || strings.HasPrefix(s, "_") || strings.HasSuffix(s, "_") ||
		strings.Contains(s, "__") || strings.ContainsAny(digits, "+-") {
		return 0, fmt.Errorf("%q is not an integer", clip(s))
	}
	v, err := strconv.ParseInt(clean, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not an integer that fits in 64 bits", clip(s))
	}
	return v, nil
}

var timePattern = regexp.MustCompile(`^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(\.\d{1,9})?\s*(Z|[+-]\d{2}:?\d{2}(?::?\d{2})?)?$`)

// ParseTime reads begin_time/end_time: ISO 8601 with a space or T, an optional fraction and an optional
// offset. A time without an offset is taken as UTC; barman takes the reader's local zone, which is UTC in
// CloudNativePG's pods.
func ParseTime(s string) (time.Time, error) {
	m := timePattern.FindStringSubmatch(s)
	if m == nil {
		return time.Time{}, fmt.Errorf("time %q: expected the form 2024-01-05 12:00:00.512345+00:00", clip(s))
	}
	zone := m[4]
	switch {
	case zone == "" || zone == "Z":
		zone = "+00:00:00"
	default:
		z := strings.ReplaceAll(zone, ":", "")
		zone = z[:3] + ":" + z[3:5]
		if len(z) > 5 {
			zone += ":" + z[5:]
		} else {
			zone += ":00"
		}
	}
	t, err := time.Parse("2006-01-02 15:04:05.999999999-07:00:00", m[1]+" "+m[2]+m[3]+zone)
	if err != nil {
		return time.Time{}, fmt.Errorf("time %q is not a valid date and time: %v", clip(s), err)
	}
	return t.UTC(), nil
}

// literal is the Python literal of a value; nil for None.
func literal(value string, none bool) (any, error) {
	if none {
		return nil, nil
	}
	return parseLiteral(value)
}

func literalString(value string, none bool, dst *string) error {
	v, err := literal(value, none)
	if err != nil {
		return err
	}
	s, ok := v.(string)
	if !ok && v != nil {
		return fmt.Errorf("expected a string literal, found %s", typeName(v))
	}
	*dst = s
	return nil
}

func literalDict(value string, none bool, dst *Dict) error {
	v, err := literal(value, none)
	if err != nil {
		return err
	}
	d, ok := v.(Dict)
	if !ok && v != nil {
		return fmt.Errorf("expected a dict literal, found %s", typeName(v))
	}
	*dst = d
	return nil
}

// literalItems is a list (or tuple) literal's items; none for None.
func literalItems(value string, none bool) ([]any, error) {
	v, err := literal(value, none)
	if err != nil {
		return nil, err
	}
	return sequenceOf(v)
}

func literalStrings(value string, none bool, dst *[]string) error {
	*dst = nil
	items, err := literalItems(value, none)
	if err != nil {
		return err
	}
	for k, item := range items {
		s, ok := item.(string)
		if !ok {
			return fmt.Errorf("item %d: expected a string, found %s", k+1, typeName(item))
		}
		*dst = append(*dst, s)
	}
	return nil
}

func literalTablespaces(value string, none bool, dst *[]Tablespace) error {
	*dst = nil
	items, err := literalItems(value, none)
	if err != nil {
		return err
	}
	for k, item := range items {
		fields, err := sequenceOf(item)
		if err != nil || len(fields) != 3 {
			return fmt.Errorf("tablespace %d: expected a tuple ('name', oid, '/location')", k+1)
		}
		name, ok1 := fields[0].(string)
		oid, ok2 := fields[1].(int64)
		loc, ok3 := fields[2].(string)
		if !ok1 || !ok2 || !ok3 || oid < 0 || oid > 1<<32-1 {
			return fmt.Errorf("tablespace %d: expected a tuple ('name', oid, '/location') with a 32-bit oid", k+1)
		}
		*dst = append(*dst, Tablespace{Name: name, OID: uint32(oid), Location: loc})
	}
	return nil
}

func sequenceOf(v any) ([]any, error) {
	switch v := v.(type) {
	case nil:
		return nil, nil
	case List:
		return v, nil
	case Tuple:
		return v, nil
	}
	return nil, fmt.Errorf("expected a list literal, found %s", typeName(v))
}
