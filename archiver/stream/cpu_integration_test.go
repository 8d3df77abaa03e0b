//go:build integration

package stream

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// clockTicks is USER_HZ, the unit of the CPU times in /proc: 100 on every Linux architecture Go supports.
const clockTicks = 100

// cpuSample is the CPU time, in seconds, used so far by a few processes and by the whole machine.
type cpuSample struct {
	at      time.Time
	procs   map[string]float64
	machine float64
}

// sampleCPU reads /proc/<pid>/stat (utime + stime) for each named process (0 is this process) and the
// busy time of all CPUs from /proc/stat (everything but idle and iowait).
func sampleCPU(t testing.TB, pids map[string]int) cpuSample {
	t.Helper()
	s := cpuSample{at: time.Now(), procs: map[string]float64{}}
	for name, pid := range pids {
		path := "/proc/self/stat"
		if pid != 0 {
			path = "/proc/" + strconv.Itoa(pid) + "/stat"
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		// The command name, in parentheses, may hold spaces: fields are counted after its closing one.
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
		s.procs[name] = (atof(t, f[11]) + atof(t, f[12])) / clockTicks // utime, stime: fields 14 and 15
	}
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		t.Fatal(err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	for i, v := range strings.Fields(line)[1:] {
		if i != 3 && i != 4 { // idle, iowait
			s.machine += atof(t, v) / clockTicks
		}
	}
	return s
}

// cores is the mean number of cores each process, and the machine, kept busy between two samples.
func (s cpuSample) cores(since cpuSample) (procs map[string]float64, machine float64) {
	wall := s.at.Sub(since.at).Seconds()
	procs = map[string]float64{}
	for name, v := range s.procs {
		procs[name] = (v - since.procs[name]) / wall
	}
	return procs, (s.machine - since.machine) / wall
}

func atof(t testing.TB, s string) float64 {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
