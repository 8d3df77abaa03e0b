package restorebackup

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/go-logr/logr"
	"golang.org/x/sync/errgroup"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/catalog"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/compress"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/layout"
)

// Latest is the BackupID that picks the newest completed backup.
const Latest = "latest"

// DefaultChunkSize is the size of one ranged read: large enough that a request's latency is small next
// to its transfer, small enough that jobs of them in memory stay modest.
const DefaultChunkSize = 8 << 20

// Store is what a restore reads: the catalog's listing and backup.info, then ranged reads of the tars.
// Every store.Store is one.
type Store interface {
	catalog.Store
	GetRange(ctx context.Context, key string, offset, length int64) (io.ReadCloser, error)
}

// Config is one restore.
type Config struct {
	Store  Store
	Layout layout.Layout
	// BackupID is Latest, a backup ID (YYYYMMDDTHHMMSS) or a backup name (barman's --name); ignored
	// when TargetTime is set.
	BackupID string
	// TargetTime, when set, picks the newest completed backup that ended at or before it, as
	// CloudNativePG does for recoveryTarget.targetTime.
	TargetTime time.Time
	// Dest is the new PGDATA: missing or empty.
	Dest string
	// Tablespaces maps a tablespace name to the directory it is restored into instead of the location
	// the backup recorded.
	Tablespaces map[string]string
	// Jobs is how many ranged reads are in flight at once (data.jobs).
	Jobs int
	// ChunkSize is the size of one ranged read; DefaultChunkSize when 0.
	ChunkSize int64
	// NoSync skips the fsync of every file and directory (tests, or a destination about to be
	// snapshotted anyway).
	NoSync bool
	// Recovery, when set, makes the restored PGDATA start archive recovery from the store.
	Recovery *Recovery
	// OnBytes, when set, is told of every chunk fetched.
	OnBytes func(n int64)
	Log     logr.Logger
}

// Recovery is what restore-backup writes for PostgreSQL to recover: recovery.signal, and in
// postgresql.auto.conf the restore_command and, with a target time, the target.
type Recovery struct {
	// RestoreCommand is written as restore_command, e.g. "wal-archiver restore %f %p".
	RestoreCommand string
	// TargetAction is recovery_target_action when a target time is set ("promote", "pause",
	// "shutdown"); PostgreSQL's default (pause) when empty.
	TargetAction string
}

// Result says what was restored.
type Result struct {
	BackupID string
	Info     catalog.Info
	// Fetched is the bytes read from the store (compressed); Bytes and Files what was extracted.
	Fetched, Bytes, Files int64
}

// part is one tar object to fetch and extract into dir.
type part struct {
	key   string
	size  int64
	codec compress.Codec
	dir   string
	data  bool
}

// Run restores a base backup into cfg.Dest.
func Run(ctx context.Context, cfg Config) (Result, error) {
	if cfg.Jobs < 1 {
		return Result{}, fmt.Errorf("jobs is %d; at least 1 ranged read must be allowed at a time", cfg.Jobs)
	}
	if cfg.ChunkSize <= 0 {
		cfg.ChunkSize = DefaultChunkSize
	}
	if cfg.Dest == "" {
		return Result{}, errors.New("no destination directory given; name the new, empty PGDATA")
	}
	dest, err := filepath.Abs(cfg.Dest)
	if err != nil {
		return Result{}, err
	}
	if err := checkEmpty(dest, "the destination"); err != nil {
		return Result{}, err
	}
	cat, err := catalog.Read(ctx, cfg.Store, cfg.Layout)
	if err != nil {
		return Result{}, err
	}
	b, err := choose(cat, cfg)
	if err != nil {
		return Result{}, err
	}
	log := cfg.Log.WithValues("backup", b.ID)
	parts, tsDirs, err := plan(ctx, cfg, b, dest)
	if err != nil {
		return Result{}, err
	}
	for _, d := range append([]string{dest}, tsDirs...) {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return Result{}, fmt.Errorf("creating %s: %w", d, err)
		}
		if err := os.Chmod(d, 0o700); err != nil {
			return Result{}, err
		}
	}
	log.Info("restoring", "dest", dest, "tars", len(parts), "endTime", b.Info.EndTime)
	res := Result{BackupID: b.ID, Info: b.Info}
	own, err := fetchAll(ctx, cfg, parts, &res)
	if err != nil {
		return res, err
	}
	if err := finish(cfg, b.Info, dest, own); err != nil {
		return res, err
	}
	log.Info("restored", "files", res.Files, "bytes", res.Bytes, "fetched", res.Fetched)
	return res, nil
}

// choose picks the backup as CloudNativePG's recovery would: the target time's, the named one, or the newest.
func choose(cat catalog.Catalog, cfg Config) (catalog.Backup, error) {
	id := cfg.BackupID
	switch {
	case !cfg.TargetTime.IsZero():
		return cat.ByTargetTime(cfg.TargetTime)
	case id == "" || id == Latest:
		return cat.Latest()
	}
	if _, err := layout.ParseBackupID(id); err == nil {
		return cat.ByID(id)
	}
	var found []catalog.Backup
	for _, b := range cat.Backups {
		if b.Info.BackupName == id {
			found = append(found, b)
		}
	}
	switch len(found) {
	case 0:
		return catalog.Backup{}, fmt.Errorf("%w: %q is neither a backup ID (YYYYMMDDTHHMMSS) nor the name of a backup under %s; use %q, an ID or a name barman-cloud-backup-list shows",
			catalog.ErrNoBackup, clip(id), cat.Layout.BasePrefix(), Latest)
	case 1:
		return cat.ByID(found[0].ID)
	}
	return catalog.Backup{}, fmt.Errorf("%w: %d backups are named %q (%s and %s); give the ID instead", catalog.ErrNoBackup,
		len(found), id, found[0].ID, found[1].ID)
}

// plan lists the backup's tars and decides where each goes, as barman-cloud-restore does: data* into
// PGDATA, <oid>* into the tablespace's recorded location or its override.
func plan(ctx context.Context, cfg Config, b catalog.Backup, dest string) ([]part, []string, error) {
	objs, err := cfg.Store.List(ctx, cfg.Layout.BackupPrefix(b.ID))
	if err != nil {
		return nil, nil, fmt.Errorf("listing the objects of backup %s: %w", b.ID, err)
	}
	byOID := map[string]catalog.Tablespace{}
	names := map[string]bool{}
	for _, ts := range b.Info.Tablespaces {
		byOID[layout.TablespaceTar(ts.OID)] = ts
		names[ts.Name] = true
	}
	for name := range cfg.Tablespaces {
		if !names[name] {
			var have []string
			for n := range names {
				have = append(have, n)
			}
			sort.Strings(have)
			return nil, nil, fmt.Errorf("--tablespace %s: backup %s has no tablespace of that name (it has: %s)", name, b.ID, listOrNone(have))
		}
	}
	var parts []part
	seen := map[string]bool{}
	for _, o := range objs {
		k, err := cfg.Layout.ParseBaseKey(o.Key)
		if err != nil || k.Kind != layout.BaseTar {
			continue
		}
		codec, ok := compress.ForExt(k.Tar.Ext)
		if !ok {
			return nil, nil, fmt.Errorf("backup %s: %s has the compression suffix %q, which has no decoder here", b.ID, o.Key, k.Tar.Ext)
		}
		p := part{key: o.Key, size: o.Size, codec: codec, dir: dest, data: k.Tar.Name == layout.DataTar}
		if !p.data {
			ts, ok := byOID[k.Tar.Name]
			if !ok {
				return nil, nil, fmt.Errorf("backup %s: %s is the tar of tablespace OID %s, which backup.info does not list; cannot tell where it goes",
					b.ID, o.Key, k.Tar.Name)
			}
			p.dir = location(cfg, ts)
		}
		if k.Tar.Part == 0 {
			seen[k.Tar.Name] = true
		}
		parts = append(parts, p)
	}
	if !seen[layout.DataTar] {
		return nil, nil, fmt.Errorf("backup %s has no data.tar[.gz|.bz2|.snappy|.lz4] under %s: it is not a complete base backup",
			b.ID, cfg.Layout.BackupPrefix(b.ID))
	}
	var tsDirs []string
	for oid, ts := range byOID {
		if !seen[oid] {
			return nil, nil, fmt.Errorf("backup %s lists tablespace %s (OID %d) but has no %s.tar under %s", b.ID, ts.Name, ts.OID, oid,
				cfg.Layout.BackupPrefix(b.ID))
		}
		dir := location(cfg, ts)
		if !filepath.IsAbs(dir) {
			return nil, nil, fmt.Errorf("tablespace %s: location %q is not an absolute path", ts.Name, dir)
		}
		if err := checkEmpty(dir, "tablespace "+ts.Name+"'s location"); err != nil {
			return nil, nil, err
		}
		tsDirs = append(tsDirs, dir)
	}
	sort.Strings(tsDirs)
	// Largest first: the long transfers start at once and the small ones fill the gaps.
	sort.SliceStable(parts, func(i, j int) bool { return parts[i].size > parts[j].size })
	return parts, tsDirs, nil
}

func location(cfg Config, ts catalog.Tablespace) string {
	if d, ok := cfg.Tablespaces[ts.Name]; ok {
		return filepath.Clean(d)
	}
	return filepath.Clean(ts.Location)
}

func listOrNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

// checkEmpty refuses a directory with anything in it: a restore never mixes a backup with other files.
func checkEmpty(dir, what string) error {
	f, err := os.Open(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s %s: %w", what, dir, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s %s exists and is not a directory; give a missing or empty directory", what, dir)
	}
	names, err := f.Readdirnames(3)
	if err != nil && len(names) == 0 {
		return nil
	}
	if len(names) > 0 {
		return fmt.Errorf("%s %s is not empty (it has %s): restore-backup writes only into a missing or empty directory, so that "+
			"nothing of another cluster mixes with the backup; remove its contents or choose another directory", what, dir, strings.Join(names, ", "))
	}
	return nil
}

// owner is who the restored files belong to when root restores: the owner PG_VERSION has in the tar,
// for every file. PostgreSQL needs one owner for all of PGDATA, and the tars do not always agree:
// barman 3.4 writes backup_label with uid 0 (it sets the gid twice), which PostgreSQL, as postgres,
// then cannot rename at the end of recovery.
type owner struct {
	set, pgVersion bool
	uid, gid       int
}

// aheadBlocks and aheadBlockSize bound what a compressed tar decodes ahead of its extraction: 4 MiB per
// tar being restored.
const (
	aheadBlocks    = 4
	aheadBlockSize = 1 << 20
)

// fetchAll fetches and extracts every part, up to cfg.Jobs parts at once, sharing one fetcher so that the
// jobs are spread over whichever parts are still transferring.
func fetchAll(ctx context.Context, cfg Config, parts []part, res *Result) (owner, error) {
	f := newFetcher(cfg.Store, cfg.Jobs, cfg.ChunkSize)
	f.onBytes = cfg.OnBytes
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(cfg.Jobs)
	xs := make([]*extractor, len(parts))
	for i, p := range parts {
		x := &extractor{root: p.dir, sync: !cfg.NoSync, syncers: cfg.Jobs}
		if p.data {
			// The restore makes pg_tblspc's links itself (a BASE_BACKUP tar carries them to the old
			// locations).
			x.skip = func(name string) bool { return strings.HasPrefix(name, "pg_tblspc/") }
		}
		xs[i] = x
		g.Go(func() error {
			r := f.open(ctx, p.key, p.size)
			defer r.Close()
			var src io.Reader = r
			if p.codec.Ext() != "" {
				// Decoders read in small pieces; the tar reader of an uncompressed tar reads whole files.
				src = bufio.NewReaderSize(r, 256<<10)
			}
			dec, err := p.codec.NewReader(src)
			if err != nil {
				return fmt.Errorf("%s: %w", p.key, err)
			}
			defer dec.Close()
			var tarStream io.Reader = dec
			if p.codec.Ext() != "" {
				ra := readAhead(dec, aheadBlocks, aheadBlockSize)
				// Runs before the deferred closes: stop fetching first, so that a read-ahead blocked on
				// the fetcher returns, then wait for it, so nothing reads dec or r once they close.
				defer func() { r.cancel(); ra.Close() }()
				tarStream = ra
			}
			if err := x.extract(tarStream); err != nil {
				return fmt.Errorf("%s: %w", p.key, err)
			}
			return nil
		})
	}
	err := g.Wait()
	var own owner
	for i, x := range xs {
		res.Files += x.files
		res.Bytes += x.bytes
		res.Fetched += parts[i].size
		if parts[i].data && x.owner.set && (!own.set || x.owner.pgVersion) {
			own = x.owner
		}
	}
	if os.Geteuid() != 0 {
		own = owner{}
	}
	return own, err
}
