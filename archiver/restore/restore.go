package restore

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/go-logr/logr"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/compress"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/durable"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/layout"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/store"
)

// ErrNotFound means the archive does not hold the file: PostgreSQL takes that as the end of the archive.
var ErrNotFound = errors.New("not in the archive")

// Config says where to look.
type Config struct {
	Store  store.Store
	Layout layout.Layout
	// Prefetch is how many following segments to fetch in parallel into SpoolDir; 0 disables it.
	Prefetch int
	SpoolDir string
	// NoPartial refuses <segment>.partial as a stand-in for a missing segment (barman's --no-partial).
	NoPartial bool
	// Attempts is how many times a failing store request is tried before giving up; default 3.
	Attempts int
	Log      logr.Logger
}

// Restore writes the archived file walName to dest (atomically: temp file, fsync, rename, fsync of the
// directory), then prefetches. It returns ErrNotFound when the archive does not hold it.
func Restore(ctx context.Context, cfg Config, walName, dest string) error {
	n, err := layout.Parse(walName)
	if err != nil {
		return err
	}
	if cfg.Attempts <= 0 {
		cfg.Attempts = 3
	}
	var size int64
	if cfg.Prefetch > 0 && cfg.SpoolDir != "" && n.Kind == layout.Segment {
		size, err = fromSpool(cfg.SpoolDir, walName, dest)
		if err != nil {
			return err
		}
	}
	if size == 0 {
		size, err = fetch(ctx, cfg, n, dest, !cfg.NoPartial)
		if err != nil {
			return err
		}
	}
	if cfg.Prefetch > 0 && cfg.SpoolDir != "" && n.Kind == layout.Segment && layout.ValidSegmentSize(uint64(size)) {
		prefetch(ctx, cfg, n, uint64(size))
	}
	return nil
}

// fromSpool moves a prefetched segment to dest; 0 when the spool does not have it.
func fromSpool(dir, walName, dest string) (int64, error) {
	src := filepath.Join(dir, walName)
	st, err := os.Stat(src)
	if err != nil {
		return 0, nil
	}
	if err := os.Rename(src, dest); err != nil {
		// Another filesystem: copy instead.
		f, oerr := os.Open(src)
		if oerr != nil {
			return 0, nil
		}
		defer f.Close()
		if err := durable.WriteFile(dest, filepath.Dir(dest), f); err != nil {
			return 0, err
		}
		_ = os.Remove(src)
		return st.Size(), nil
	}
	return st.Size(), durable.SyncDir(filepath.Dir(dest))
}

// find returns the key holding n, trying every compression extension as barman does, then .partial.
func find(ctx context.Context, cfg Config, n layout.Name, allowPartial bool) (string, compress.Codec, error) {
	prefix := cfg.Layout.ListPrefix(n)
	objs, err := cfg.Store.List(ctx, prefix)
	if err != nil {
		return "", nil, err
	}
	have := map[string]bool{}
	for _, o := range objs {
		have[o.Key] = true
	}
	candidates := []layout.Name{n}
	if allowPartial && n.Kind == layout.Segment {
		candidates = append(candidates, n.AsPartial())
	}
	for _, c := range candidates {
		for _, ext := range append([]string{""}, compress.Exts()...) {
			if key := cfg.Layout.Key(c, ext); have[key] {
				codec, _ := compress.ForExt(ext)
				return key, codec, nil
			}
		}
	}
	return "", nil, ErrNotFound
}

func fetch(ctx context.Context, cfg Config, n layout.Name, dest string, allowPartial bool) (int64, error) {
	var last error
	for attempt := 0; attempt < cfg.Attempts; attempt++ {
		if attempt > 0 {
			d := 200 * time.Millisecond << attempt
			select {
			case <-time.After(d/2 + rand.N(d/2)):
			case <-ctx.Done():
				return 0, ctx.Err()
			}
		}
		key, codec, err := find(ctx, cfg, n, allowPartial)
		if errors.Is(err, ErrNotFound) {
			return 0, fmt.Errorf("%s: %w", n, ErrNotFound)
		}
		if err == nil {
			var size int64
			size, err = download(ctx, cfg.Store, key, codec, dest)
			if err == nil {
				cfg.Log.V(1).Info("restored", "key", key, "dest", dest)
				return size, nil
			}
		}
		last = err
		cfg.Log.Info("fetching from the archive failed", "wal", n.String(), "attempt", attempt+1, "error", err.Error())
	}
	return 0, fmt.Errorf("fetching %s: %w", n, last)
}

func download(ctx context.Context, st store.Store, key string, codec compress.Codec, dest string) (int64, error) {
	rc, err := st.Get(ctx, key)
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	d, err := codec.NewReader(rc)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", key, err)
	}
	defer d.Close()
	cr := &store.CountingReader{R: d}
	if err := durable.WriteFile(dest, filepath.Dir(dest), cr); err != nil {
		return 0, fmt.Errorf("%s: %w", key, err)
	}
	return cr.N, nil
}

// prefetch fetches the next cfg.Prefetch segments of the same timeline into the spool, in parallel, and
// drops spooled segments PostgreSQL has moved past. Missing segments are simply not spooled.
func prefetch(ctx context.Context, cfg Config, n layout.Name, segSize uint64) {
	if err := os.MkdirAll(cfg.SpoolDir, 0o700); err != nil {
		cfg.Log.Info("prefetch disabled: cannot create the spool", "dir", cfg.SpoolDir, "error", err.Error())
		return
	}
	cleanSpool(cfg.SpoolDir, n, segSize)
	var wg sync.WaitGroup
	next := n
	for i := 0; i < cfg.Prefetch; i++ {
		next = next.Next(segSize)
		name := next
		path := filepath.Join(cfg.SpoolDir, name.String())
		if _, err := os.Stat(path); err == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			one := cfg
			one.Attempts = 1
			if _, err := fetch(ctx, one, name, path, false); err != nil && !errors.Is(err, ErrNotFound) {
				cfg.Log.V(1).Info("prefetch failed", "wal", name.String(), "error", err.Error())
			}
		}()
	}
	wg.Wait()
}

func cleanSpool(dir string, current layout.Name, segSize uint64) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".tmp") {
			_ = os.Remove(filepath.Join(dir, e.Name()))
			continue
		}
		n, err := layout.Parse(e.Name())
		if err == nil && n.Kind == layout.Segment && (n.TLI != current.TLI || n.SegNo(segSize) <= current.SegNo(segSize)) {
			_ = os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}
