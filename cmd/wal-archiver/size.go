package main

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// byteSize is a flag holding a number of bytes written as Kubernetes writes memory: 128Mi, 1Gi, 500M,
// or plain bytes, so that it can be read against the container's memory limit.
type byteSize uint64

var sizeUnits = []struct {
	suffix string
	mult   uint64
}{
	{"Ki", 1 << 10}, {"Mi", 1 << 20}, {"Gi", 1 << 30}, {"Ti", 1 << 40},
	{"k", 1e3}, {"M", 1e6}, {"G", 1e9}, {"T", 1e12},
}

func (b *byteSize) Set(s string) error {
	num, mult := s, uint64(1)
	for _, u := range sizeUnits {
		if v, ok := strings.CutSuffix(s, u.suffix); ok {
			num, mult = v, u.mult
			break
		}
	}
	n, err := strconv.ParseUint(num, 10, 64)
	if err != nil || n > math.MaxUint64/mult {
		return fmt.Errorf("%q is not a size: write a whole number of bytes with an optional unit, e.g. 128Mi, 1Gi or 0", s)
	}
	*b = byteSize(n * mult)
	return nil
}

func (b *byteSize) String() string {
	v := uint64(*b)
	for _, u := range []struct {
		suffix string
		mult   uint64
	}{{"Gi", 1 << 30}, {"Mi", 1 << 20}, {"Ki", 1 << 10}} {
		if v != 0 && v%u.mult == 0 {
			return strconv.FormatUint(v/u.mult, 10) + u.suffix
		}
	}
	return strconv.FormatUint(v, 10)
}

// defaultMemoryBudget is the memory budget when --memory-budget is not given: 128Mi, or less inside a
// container whose memory limit would not hold that beside the compressed copies in flight and the process
// itself (about 64Mi): half of what the limit leaves after that. A limit too tight for one segment means
// every segment goes through the spool, which is slower but never killed for memory.
func defaultMemoryBudget(limit uint64, limited bool) uint64 {
	const preferred, process = 128 << 20, 64 << 20
	if !limited {
		return preferred
	}
	if limit <= process {
		return 0
	}
	return min(preferred, (limit-process)/2)
}

// cgroupMemoryLimit reads the container's memory limit (cgroup v2, then v1) under root ("/sys/fs/cgroup"
// in production); limited is false when there is none or it cannot be read.
func cgroupMemoryLimit(root string) (limit uint64, limited bool) {
	for _, p := range []string{"memory.max", "memory/memory.limit_in_bytes"} {
		b, err := os.ReadFile(filepath.Join(root, p))
		if err != nil {
			continue
		}
		s := strings.TrimSpace(string(b))
		if s == "max" {
			return 0, false
		}
		v, err := strconv.ParseUint(s, 10, 64)
		// cgroup v1 writes a huge page-aligned number for "no limit".
		if err != nil || v >= 1<<62 {
			return 0, false
		}
		return v, true
	}
	return 0, false
}
