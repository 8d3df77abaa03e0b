package stream

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// buffers hands out segment-sized buffers within a byte budget. Freed buffers are kept for the next
// segment (a fresh 16 MiB allocation per segment would keep the garbage collector busy at hundreds of
// MB/s), but only a couple of them, so that memory taken during a burst goes back once it has passed.
type buffers struct {
	mu     sync.Mutex
	budget uint64
	used   uint64 // bytes of every buffer handed out or kept free
	free   [][]byte
	freed  chan struct{} // a buffer came back; never closed
	gauge  prometheus.Gauge
}

// keepFree is how many returned buffers are kept for reuse: the open segment and the one being uploaded
// is the steady state of an archiver that keeps up.
const keepFree = 2

func newBuffers(budget uint64, gauge prometheus.Gauge) *buffers {
	return &buffers{budget: budget, freed: make(chan struct{}, 1), gauge: gauge}
}

// get returns a buffer of size bytes, waiting up to wait for one to be returned when the budget is spent;
// nil when the budget cannot hold one in time (the caller then uses the spool on disk).
func (b *buffers) get(size uint64, wait time.Duration) []byte {
	if size > b.budget {
		return nil
	}
	var timeout <-chan time.Time
	for {
		if buf := b.tryGet(size); buf != nil {
			return buf
		}
		if timeout == nil {
			if wait <= 0 {
				return nil
			}
			t := time.NewTimer(wait)
			defer t.Stop()
			timeout = t.C
		}
		select {
		case <-b.freed:
		case <-timeout:
			return b.tryGet(size)
		}
	}
}

func (b *buffers) tryGet(size uint64) []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	for len(b.free) > 0 {
		buf := b.free[len(b.free)-1]
		b.free = b.free[:len(b.free)-1]
		if uint64(cap(buf)) == size {
			return buf[:size]
		}
		b.used -= uint64(cap(buf)) // another segment size: not reusable
	}
	if b.used+size > b.budget {
		b.setGauge()
		return nil
	}
	b.used += size
	b.setGauge()
	return make([]byte, size)
}

// put returns a buffer; nil is ignored.
func (b *buffers) put(buf []byte) {
	if buf == nil {
		return
	}
	b.mu.Lock()
	if len(b.free) < keepFree {
		b.free = append(b.free, buf)
	} else {
		b.used -= uint64(cap(buf))
	}
	b.setGauge()
	b.mu.Unlock()
	select {
	case b.freed <- struct{}{}:
	default:
	}
}

// setGauge publishes the memory held; the caller holds b.mu.
func (b *buffers) setGauge() {
	if b.gauge != nil {
		b.gauge.Set(float64(b.used))
	}
}
