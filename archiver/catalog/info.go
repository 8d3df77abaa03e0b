package catalog

import (
	"sort"
	"strconv"
	"strings"
	"time"
)

// Backup statuses barman writes; only Done backups count for retention and recovery.
const (
	StatusDone          = "DONE"
	StatusFailed        = "FAILED"
	StatusEmpty         = "EMPTY"
	StatusStarted       = "STARTED"
	StatusWaitingForWAL = "WAITING_FOR_WALS"
	StatusSyncing       = "SYNCING"
)

// ServerName is the server_name barman-cloud-backup always writes; CloudNativePG's parser of
// barman-cloud-backup-show looks the backup up under this key.
const ServerName = "cloud"

// Tablespace is one entry of backup.info's tablespaces: a tuple (name, oid, location).
type Tablespace struct {
	Name     string
	OID      uint32
	Location string
}

// Info is one backup.info: exactly the keys barman 3.4's BackupInfo knows, so that barman-cloud 3.4 and
// every later version (and CloudNativePG through them) load it. The backup ID is not a key: it is the
// name of the directory the file is in.
//
// Unset values are the zero value (nil pointers, empty strings, zero times, nil slices) and are written as
// None, as barman writes its unset fields.
type Info struct {
	BackupLabel      string // the label file returned by pg_backup_stop / BASE_BACKUP
	BackupName       string // --name; omitted from the file when empty
	BeginOffset      *int64 // byte offset of BeginXLog inside BeginWAL
	BeginTime        time.Time
	BeginWAL         string // 24-hex segment name holding BeginXLog
	BeginXLog        string // LSN "X/X"
	Compression      string // never set by barman-cloud (None)
	ConfigFile       string
	CopyStats        Dict
	DeduplicatedSize *int64
	EndOffset        *int64
	EndTime          time.Time
	EndWAL           string
	EndXLog          string
	Error            string // set on failure: "failure <action> (<first line>)"
	HBAFile          string
	IdentFile        string
	IncludedFiles    []string
	Mode             string
	PGData           string
	ServerName       string // always ServerName for cloud backups
	Size             *int64
	SnapshotsInfo    string // the Python literal of snapshot backups, kept as read; omitted when empty
	Status           string
	SystemID         string // decimal system identifier
	Tablespaces      []Tablespace
	Timeline         *int64
	Version          *int64 // server_version_num, e.g. 150018
	XLogSegmentSize  *int64

	// Newer holds keys of later barman versions (3.17 writes cluster_size, data_checksums, ...) found by
	// Parse, as written. Format never writes them: barman 3.4 refuses to load a file that has them.
	Newer map[string]string
}

// Int is a pointer to v, for the optional integer fields.
func Int(v int64) *int64 { return &v }

// Done is CloudNativePG's "done": both times set, whatever the status (its recovery and its first
// recoverability point consider exactly these backups).
func (i Info) Done() bool { return !i.BeginTime.IsZero() && !i.EndTime.IsZero() }

// TimeLayout is str() of a tz-aware Python datetime with microseconds; barman writes begin_time and
// end_time this way (without the fraction when it is zero, as Python does).
const TimeLayout = "2006-01-02 15:04:05.000000-07:00"

func formatTime(t time.Time) string {
	t = t.UTC().Truncate(time.Microsecond)
	if t.Nanosecond() == 0 {
		return t.Format("2006-01-02 15:04:05-07:00")
	}
	return t.Format(TimeLayout)
}

// plain makes a text value fit one key=value line that reads back the same: the loader strips both sides
// and splits lines at "\n" only, so a "\n" becomes a space.
func plain(s string) string { return strings.TrimSpace(strings.ReplaceAll(s, "\n", " ")) }

func optInt(p *int64) string {
	if p == nil {
		return "None"
	}
	return strconv.FormatInt(*p, 10)
}

func optText(s string) string {
	if s = plain(s); s == "" {
		return "None"
	}
	return s
}

func optTime(t time.Time) string {
	if t.IsZero() {
		return "None"
	}
	return formatTime(t)
}

func repr(v any) string {
	var b strings.Builder
	pyRepr(&b, v)
	return b.String()
}

// fields lists every key of barman 3.4's BackupInfo with its writer; keys are sorted on output as barman
// sorts them.
func (i Info) fields() map[string]string {
	m := map[string]string{
		"backup_label":      "None",
		"begin_offset":      optInt(i.BeginOffset),
		"begin_time":        optTime(i.BeginTime),
		"begin_wal":         optText(i.BeginWAL),
		"begin_xlog":        optText(i.BeginXLog),
		"compression":       optText(i.Compression),
		"config_file":       optText(i.ConfigFile),
		"copy_stats":        "None",
		"deduplicated_size": optInt(i.DeduplicatedSize),
		"end_offset":        optInt(i.EndOffset),
		"end_time":          optTime(i.EndTime),
		"end_wal":           optText(i.EndWAL),
		"end_xlog":          optText(i.EndXLog),
		"error":             optText(i.Error),
		"hba_file":          optText(i.HBAFile),
		"ident_file":        optText(i.IdentFile),
		"included_files":    "None",
		"mode":              optText(i.Mode),
		"pgdata":            optText(i.PGData),
		"server_name":       optText(i.ServerName),
		"size":              optInt(i.Size),
		"status":            optText(i.Status),
		"systemid":          optText(i.SystemID),
		"tablespaces":       "None",
		"timeline":          optInt(i.Timeline),
		"version":           optInt(i.Version),
		"xlog_segment_size": optInt(i.XLogSegmentSize),
	}
	// barman's null_repr writes None for an empty string, list or dict too.
	if i.BackupLabel != "" {
		m["backup_label"] = repr(i.BackupLabel)
	}
	if len(i.CopyStats) > 0 {
		m["copy_stats"] = repr(i.CopyStats)
	}
	if len(i.IncludedFiles) > 0 {
		l := make(List, len(i.IncludedFiles))
		for k, f := range i.IncludedFiles {
			l[k] = f
		}
		m["included_files"] = repr(l)
	}
	if len(i.Tablespaces) > 0 {
		l := make(List, len(i.Tablespaces))
		for k, t := range i.Tablespaces {
			l[k] = Tuple{t.Name, int64(t.OID), t.Location}
		}
		m["tablespaces"] = repr(l)
	}
	if name := plain(i.BackupName); name != "" {
		m["backup_name"] = name
	}
	if s := plain(i.SnapshotsInfo); s != "" {
		m["snapshots_info"] = s
	}
	return m
}

// Format writes info as barman's BackupInfo.save does: one key=value line per key, sorted by key, unset
// values as None, backup_name and snapshots_info only when set, Python literals for backup_label,
// copy_stats, included_files and tablespaces, times as str(datetime) in UTC.
func Format(info Info) []byte {
	m := info.fields()
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(m[k])
		b.WriteByte('\n')
	}
	return []byte(b.String())
}
