package catalog

import (
	"reflect"
	"testing"
	"time"
)

// FuzzParse feeds Parse what a store may hold (backup.info is written by whoever can write the bucket): it
// must never panic, and whatever it accepts must survive Format and Parse unchanged, or retention and
// recovery would decide on something other than what the file says.
func FuzzParse(f *testing.F) {
	f.Add([]byte(barmanExample))
	f.Add(Format(Info{}))
	f.Add([]byte("# c\n\ntablespaces=[('t', 1, '/x')]\ncopy_stats={'a': [1, (2.5,), None]}\nbegin_time=2024-01-05T12:00:00Z\n"))
	f.Add([]byte("status=a\rb\r\nerror= x\vy \n"))
	f.Add([]byte("backup_label='\\x00\\u00e9' \"b\"\nsnapshots_info={'p': 'gcp'}\ncluster_size=1\n"))
	f.Fuzz(func(t *testing.T, content []byte) {
		info, err := Parse(content)
		if err != nil {
			return
		}
		again, err := Parse(Format(info))
		if err != nil {
			t.Fatalf("Parse(Format(Parse(x))): %v\n%s", err, Format(info))
		}
		normalise(&info)
		normalise(&again)
		if !reflect.DeepEqual(info, again) {
			t.Fatalf("round trip changed the info:\n%+v\n%+v", info, again)
		}
	})
}

// normalise removes the differences Format makes on purpose: empty collections are None, times are kept
// to the microsecond, Newer keys are not written.
func normalise(i *Info) {
	i.Newer = nil
	if len(i.CopyStats) == 0 {
		i.CopyStats = nil
	}
	if len(i.IncludedFiles) == 0 {
		i.IncludedFiles = nil
	}
	if len(i.Tablespaces) == 0 {
		i.Tablespaces = nil
	}
	i.BeginTime = i.BeginTime.Truncate(time.Microsecond)
	i.EndTime = i.EndTime.Truncate(time.Microsecond)
}
