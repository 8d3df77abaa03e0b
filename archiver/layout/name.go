package layout

import (
	"fmt"
	"strconv"
)

// DefaultSegmentSize is PostgreSQL's default wal_segment_size.
const DefaultSegmentSize = 16 << 20

// Kind is what a WAL file name denotes.
type Kind int

// The kinds of file barman-cloud archives under wals/.
const (
	Segment Kind = iota + 1 // 000000010000000000000001
	Partial                 // 000000010000000000000001.partial
	Backup                  // 000000010000000000000001.00000028.backup
	History                 // 00000002.history
)

func (k Kind) String() string {
	switch k {
	case Segment:
		return "segment"
	case Partial:
		return "partial"
	case Backup:
		return "backup"
	case History:
		return "history"
	}
	return "unknown"
}

// Name is a parsed WAL file name. Log and Seg are the two halves of the segment number as PostgreSQL prints
// them (Log = segno / segments-per-xlogid, Seg = segno % segments-per-xlogid), so a Name does not depend on
// the segment size; SegNo converts once the size is known.
type Name struct {
	Kind   Kind
	TLI    uint32
	Log    uint32
	Seg    uint32
	Offset uint32 // the start offset in a .backup label's name
}

// Parse accepts exactly the names barman's regex accepts:
// ^[0-9A-Fa-f]{8}(?:[0-9A-Fa-f]{8}[0-9A-Fa-f]{8}(?:\.[0-9A-Fa-f]{8}\.backup|\.partial)?|\.history)$
func Parse(name string) (Name, error) {
	bad := func(why string) (Name, error) {
		return Name{}, fmt.Errorf("%q is not a WAL file name (%s); expected a 24-hex-digit segment name, "+
			"optionally followed by .partial or .XXXXXXXX.backup, or an 8-hex-digit timeline followed by .history", name, why)
	}
	if len(name) < 8 {
		return bad("too short")
	}
	tli, ok := hex32(name[0:8])
	if !ok {
		return bad("the timeline is not 8 hex digits")
	}
	rest := name[8:]
	if rest == ".history" {
		return Name{Kind: History, TLI: tli}, nil
	}
	if len(rest) < 16 {
		return bad("the segment number is not 16 hex digits")
	}
	log, ok1 := hex32(rest[0:8])
	seg, ok2 := hex32(rest[8:16])
	if !ok1 || !ok2 {
		return bad("the segment number is not 16 hex digits")
	}
	n := Name{Kind: Segment, TLI: tli, Log: log, Seg: seg}
	switch suffix := rest[16:]; {
	case suffix == "":
	case suffix == ".partial":
		n.Kind = Partial
	case len(suffix) == 16 && suffix[0] == '.' && suffix[9:] == ".backup":
		off, ok := hex32(suffix[1:9])
		if !ok {
			return bad("the backup offset is not 8 hex digits")
		}
		n.Kind, n.Offset = Backup, off
	default:
		return bad("unexpected suffix " + strconv.Quote(suffix))
	}
	return n, nil
}

func hex32(s string) (uint32, bool) {
	if len(s) != 8 {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return 0, false
		}
	}
	v, err := strconv.ParseUint(s, 16, 32)
	return uint32(v), err == nil
}

// String formats the name as PostgreSQL does (upper-case hex).
func (n Name) String() string {
	switch n.Kind {
	case History:
		return fmt.Sprintf("%08X.history", n.TLI)
	case Partial:
		return fmt.Sprintf("%08X%08X%08X.partial", n.TLI, n.Log, n.Seg)
	case Backup:
		return fmt.Sprintf("%08X%08X%08X.%08X.backup", n.TLI, n.Log, n.Seg, n.Offset)
	}
	return fmt.Sprintf("%08X%08X%08X", n.TLI, n.Log, n.Seg)
}

// HashDir is barman's directory for the name: timeline and log, 16 hex digits; empty for .history files,
// which live directly under wals/.
func (n Name) HashDir() string {
	if n.Kind == History {
		return ""
	}
	return fmt.Sprintf("%08X%08X", n.TLI, n.Log)
}

// SegmentsPerXLogID is how many segments of segSize make one "log" (4 GiB) of the name.
func SegmentsPerXLogID(segSize uint64) uint64 { return 0x100000000 / segSize }

// ValidSegmentSize reports whether size is a wal_segment_size PostgreSQL accepts: a power of two from 1 MiB
// to 1 GiB.
func ValidSegmentSize(size uint64) bool {
	return size >= 1<<20 && size <= 1<<30 && size&(size-1) == 0
}

// SegNo is the segment number of a segment, .partial or .backup name.
func (n Name) SegNo(segSize uint64) uint64 {
	return uint64(n.Log)*SegmentsPerXLogID(segSize) + uint64(n.Seg)
}

// SegmentName is the name of segment segno on timeline tli.
func SegmentName(tli uint32, segno, segSize uint64) Name {
	per := SegmentsPerXLogID(segSize)
	return Name{Kind: Segment, TLI: tli, Log: uint32(segno / per), Seg: uint32(segno % per)}
}

// SegmentOf is the name of the segment holding lsn on timeline tli.
func SegmentOf(tli uint32, lsn, segSize uint64) Name { return SegmentName(tli, lsn/segSize, segSize) }

// HistoryName is the name of timeline tli's history file.
func HistoryName(tli uint32) Name { return Name{Kind: History, TLI: tli} }

// AsPartial is the .partial name of a segment.
func (n Name) AsPartial() Name { n.Kind = Partial; return n }

// AsSegment is the segment name of a .partial or .backup name.
func (n Name) AsSegment() Name { n.Kind = Segment; n.Offset = 0; return n }

// Next is the segment after n on the same timeline.
func (n Name) Next(segSize uint64) Name { return SegmentName(n.TLI, n.SegNo(segSize)+1, segSize) }
