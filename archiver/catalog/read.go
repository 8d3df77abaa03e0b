package catalog

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/layout"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/store"
)

// Store is what the catalog needs of an object store: every store.Store has it.
type Store interface {
	List(ctx context.Context, prefix string) ([]store.Object, error)
	Get(ctx context.Context, key string) (io.ReadCloser, error)
	Delete(ctx context.Context, key string) error
}

// Keep annotations (base/<id>/annotations/keep), which barman-cloud-backup-keep writes and retention honours.
const (
	KeepFull       = "full"
	KeepStandalone = "standalone"
)

// keepKey is where barman-cloud stores a backup's keep annotation, relative to the backup's directory.
const keepKey = "annotations/keep"

// maxInfoSize bounds what is read of one backup.info: barman's are about 2 KiB; a store may hold anything.
const maxInfoSize = 1 << 20

// Backup is one readable backup of the catalog.
type Backup struct {
	ID   string
	Info Info
	// Keep is the keep annotation (KeepFull, KeepStandalone) or empty.
	Keep string
	// Tars are the keys of the backup's tar parts (data and tablespaces), in listing order.
	Tars []string
	// Others are the other keys under the backup's directory (annotations, a snapshot's backup_label,
	// strangers); retention leaves them, as barman does.
	Others []string
}

// Dir is a directory under base/ without a readable backup.info.
type Dir struct {
	ID   string
	Keys []string
	// Err is why its backup.info could not be read; nil when there is none (a backup in progress or
	// interrupted).
	Err error
}

// Catalog is what a store holds under <path>/<server>/base/.
type Catalog struct {
	Layout layout.Layout
	// Backups are the readable backups, sorted by ID (which is barman's order).
	Backups []Backup
	// Unreadable are directories whose backup.info exists but cannot be read, or whose name is not a
	// backup ID. barman-cloud-backup-list skips them; barman-cloud-backup-delete refuses to run while there
	// is one, and so does our retention (Plan): a backup we cannot read may need the WAL it would delete.
	Unreadable []Dir
	// Incomplete are directories with objects but no backup.info: a backup being taken, or one that was
	// interrupted. Every reader ignores them.
	Incomplete []Dir
}

// Read lists the server's base/ prefix and loads every backup.info and keep annotation. A backup.info it
// cannot read is reported in Unreadable, not as an error; errors are those of the store.
func Read(ctx context.Context, st Store, l layout.Layout) (Catalog, error) {
	objs, err := st.List(ctx, l.BasePrefix())
	if err != nil {
		return Catalog{}, fmt.Errorf("listing backups under %s: %w", l.BasePrefix(), err)
	}
	type dir struct {
		keys, tars, others []string
		info, keep         bool
		badName            error
	}
	dirs := map[string]*dir{}
	var order []string
	for _, o := range objs {
		rest := strings.TrimPrefix(o.Key, l.BasePrefix())
		id, _, _ := strings.Cut(rest, "/")
		d := dirs[id]
		if d == nil {
			d = &dir{}
			dirs[id] = d
			order = append(order, id)
		}
		d.keys = append(d.keys, o.Key)
		k, err := l.ParseBaseKey(o.Key)
		switch {
		case err != nil:
			d.badName = err
		case k.Kind == layout.BaseInfo:
			d.info = true
		case k.Kind == layout.BaseTar:
			d.tars = append(d.tars, o.Key)
		case k.Rest == keepKey:
			d.keep = true
			d.others = append(d.others, o.Key)
		default:
			d.others = append(d.others, o.Key)
		}
	}
	sort.Strings(order)
	var c Catalog
	c.Layout = l
	for _, id := range order {
		d := dirs[id]
		switch {
		case d.badName != nil && hasInfo(d.keys):
			c.Unreadable = append(c.Unreadable, Dir{ID: id, Keys: d.keys,
				Err: fmt.Errorf("directory %q holds a backup.info but is not a backup ID (YYYYMMDDTHHMMSS)", id)})
			continue
		case d.badName != nil || !d.info:
			c.Incomplete = append(c.Incomplete, Dir{ID: id, Keys: d.keys})
			continue
		}
		info, err := readInfo(ctx, st, l.BackupInfoKey(id))
		if errors.Is(err, store.ErrNotFound) {
			c.Incomplete = append(c.Incomplete, Dir{ID: id, Keys: d.keys}) // deleted since the listing
			continue
		}
		if err != nil {
			if ctx.Err() != nil || !errors.Is(err, errUnreadable) {
				return Catalog{}, err
			}
			c.Unreadable = append(c.Unreadable, Dir{ID: id, Keys: d.keys, Err: err})
			continue
		}
		b := Backup{ID: id, Info: info, Tars: d.tars, Others: d.others}
		if d.keep {
			keep, err := readKeep(ctx, st, l.BackupPrefix(id)+keepKey)
			if err != nil {
				return Catalog{}, err
			}
			b.Keep = keep
		}
		c.Backups = append(c.Backups, b)
	}
	return c, nil
}

func hasInfo(keys []string) bool {
	for _, k := range keys {
		if strings.HasSuffix(k, "/"+layout.BackupInfoName) {
			return true
		}
	}
	return false
}

// errUnreadable marks a backup.info that was fetched but is not one.
var errUnreadable = errors.New("unreadable backup.info")

func readInfo(ctx context.Context, st Store, key string) (Info, error) {
	content, err := readSmall(ctx, st, key)
	if err != nil {
		return Info{}, err
	}
	if len(content) > maxInfoSize {
		return Info{}, fmt.Errorf("%w %s: larger than %d bytes", errUnreadable, key, maxInfoSize)
	}
	info, err := Parse(content)
	if err != nil {
		return Info{}, fmt.Errorf("%w %s: %v", errUnreadable, key, err)
	}
	return info, nil
}

// readKeep reads a keep annotation; a missing or empty one is no keep. barman treats any other target than
// standalone as full, and so do we.
func readKeep(ctx context.Context, st Store, key string) (string, error) {
	content, err := readSmall(ctx, st, key)
	if errors.Is(err, store.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	switch string(content) {
	case "":
		return "", nil
	case KeepStandalone:
		return KeepStandalone, nil
	}
	return KeepFull, nil
}

func readSmall(ctx context.Context, st Store, key string) ([]byte, error) {
	r, err := st.Get(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", key, err)
	}
	defer r.Close()
	content, err := io.ReadAll(io.LimitReader(r, maxInfoSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", key, err)
	}
	return content, nil
}

// Find returns the backup with id, if the catalog has it.
func (c Catalog) Find(id string) (Backup, bool) {
	i := sort.Search(len(c.Backups), func(i int) bool { return c.Backups[i].ID >= id })
	if i < len(c.Backups) && c.Backups[i].ID == id {
		return c.Backups[i], true
	}
	return Backup{}, false
}
