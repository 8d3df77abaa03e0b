package stream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/layout"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/metrics"
)

// Config is everything `wal-archiver stream` needs.
type Config struct {
	// Conn is the libpq-style connection configuration; Run adds replication=true.
	Conn *pgconn.Config
	// Slot is the physical replication slot, created with RESERVE_WAL when missing.
	Slot     string
	SpoolDir string
	Upload   UploaderConfig
	// PartialInterval is how often the segment being written is uploaded as .partial (the RPO); 0 disables
	// it, leaving only the final .partial at shutdown.
	PartialInterval time.Duration
	// StatusInterval is how often the spool is fsynced and the durable position confirmed to the server. It
	// is also the longest the receiver waits for a memory buffer before it writes a segment to the spool.
	StatusInterval time.Duration
	// MemoryBudget bounds the memory that holds segments between the server and the store (segments being
	// received, waiting and being uploaded). While the store keeps up, WAL goes through memory only;
	// beyond the budget, through the spool on disk. 0 sends every segment through the spool.
	MemoryBudget uint64
	// MaxWALHold bounds the WAL the slot keeps for segments the store has not taken (like pgBackRest's
	// archive-push-queue-max): past it the oldest of them are given up, which is a gap in the archive,
	// so that PostgreSQL can recycle them instead of filling its volume. 0: no bound, never a gap.
	MaxWALHold uint64
	// PollInterval is how often a standby is asked whether it was promoted, and the wait between reconnects.
	PollInterval time.Duration
	// ShutdownTimeout bounds the final .partial upload and the draining of the upload queue on SIGTERM.
	ShutdownTimeout time.Duration
	Metrics         *metrics.Metrics
	Log             logr.Logger
}

var slotName = regexp.MustCompile(`^[a-z0-9_]{1,63}$`)

// Archiver streams one PostgreSQL instance's WAL into the store.
type Archiver struct {
	cfg   Config
	spool *Spool
	up    *Uploader

	segSize uint64
	open    *openSegment
	written uint64 // end of WAL written into the spool
	flushed uint64 // end of WAL fsynced into the spool
	// quietMark is the end of WAL at the last status; replyRequested says the server asked for one.
	quietMark      uint64
	replyRequested bool

	mu         sync.Mutex
	confirmed  uint64            // the flush position last confirmed to the server
	capLSN     uint64            // never confirm past this (a refused history file); 0: no cap
	pending    map[string]uint64 // complete segments not yet stored, or refused: name -> start LSN (0 until segSize is known)
	partialEnd uint64            // end of WAL in the last .partial stored for the open segment
	serverEnd  uint64
	partialWG  sync.WaitGroup
	partialOn  bool
	openGen    uint64 // changes whenever the open segment does
	hasOpen    bool   // a.open != nil, readable under mu
	openStart  uint64 // a.open.start, readable under mu
	writtenEnd uint64 // a.written, readable under mu

	gap gapLog
}

// New checks the configuration.
func New(cfg Config) (*Archiver, error) {
	if !slotName.MatchString(cfg.Slot) {
		return nil, fmt.Errorf("slot name %q: use 1 to 63 lower-case letters, digits and underscores, e.g. %q", cfg.Slot, "wal_archiver")
	}
	if cfg.Conn == nil {
		return nil, errors.New("no PostgreSQL connection configuration")
	}
	if cfg.StatusInterval <= 0 {
		cfg.StatusInterval = time.Second
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = 5 * time.Second
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = 30 * time.Second
	}
	cfg.Upload.Metrics, cfg.Upload.Log = cfg.Metrics, cfg.Log
	conn := cfg.Conn.Copy()
	if conn.RuntimeParams == nil {
		conn.RuntimeParams = map[string]string{}
	}
	conn.RuntimeParams["replication"] = "true"
	if conn.RuntimeParams["application_name"] == "" {
		conn.RuntimeParams["application_name"] = "wal-archiver"
	}
	cfg.Conn = conn
	return &Archiver{cfg: cfg, pending: map[string]uint64{}}, nil
}

// Run archives until ctx ends, then uploads the segment being written as .partial and drains the upload
// queue (bounded by ShutdownTimeout). It returns nil after a clean shutdown.
func (a *Archiver) Run(ctx context.Context) error {
	sp, err := OpenSpool(a.cfg.SpoolDir)
	if err != nil {
		return err
	}
	a.spool = sp
	upCtx, stopUploads := context.WithCancel(context.Background())
	defer stopUploads()
	results := make(chan Result, 16)
	a.mu.Lock()
	a.up = NewUploader(upCtx, a.cfg.Upload, sp, newBuffers(a.cfg.MemoryBudget, a.cfg.Metrics.BufferBytes), results)
	a.mu.Unlock()
	go a.collect(results)

	for _, f := range sp.Conflicts() {
		key := a.cfg.Upload.Layout.Key(mustParse(f), a.cfg.Upload.Codec.Ext())
		a.cfg.Metrics.Health.Conflict(key)
		a.cfg.Log.Error(ErrConflict, "a refused file from an earlier run is still parked in the spool; confirmation stays before it "+
			"until a person resolves it (compare the object with the spool file, then remove one of them)", "key", key, "spoolFile", f+extConflict)
		a.addPending(f)
		a.noteConflict(mustParse(f))
	}
	files, err := sp.Pending()
	if err != nil {
		return err
	}
	for _, f := range files {
		a.addPending(f)
		a.up.Submit(f)
	}
	if len(files) > 0 {
		a.cfg.Log.Info("uploading files left in the spool by an earlier run", "count", len(files))
	}

	for attempt := 0; ctx.Err() == nil; {
		began := time.Now()
		err := a.session(ctx)
		switch {
		case ctx.Err() != nil:
		case errors.Is(err, errStandby):
			attempt = 0
			a.sleep(ctx, a.cfg.PollInterval)
		case err != nil:
			a.cfg.Metrics.Primary.Set(0)
			a.cfg.Metrics.Health.SetState(metrics.StateRetrying)
			a.cfg.Metrics.Fail(metrics.ReasonStream)
			if time.Since(began) > stableSession {
				attempt = 0 // it streamed for a while: a new failure, not the same one again
			}
			wait := backoff(attempt, a.cfg.PollInterval)
			attempt++
			if attempt < persistentFailure {
				a.cfg.Log.Info("replication stopped, reconnecting", "error", err.Error(), "retryIn", wait.String())
			} else {
				// A wrong certificate, a missing role or a server that is down does not pass by itself.
				a.cfg.Log.Error(err, "cannot stream WAL from PostgreSQL; nothing is archived until this is fixed",
					"attempts", attempt, "retryIn", wait.String())
			}
			a.sleep(ctx, wait)
		}
	}
	a.cfg.Metrics.Primary.Set(0)
	return a.shutdown()
}

// SetTarget sends the uploads from the next attempt on to t (a rotated key, a renewed CA, a new
// destination or codec): uploads in flight finish where they started. Confirmation is unchanged: a file
// counts once it is stored at whichever target took it, and never-overwrite holds at t as everywhere.
func (a *Archiver) SetTarget(t Target) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.up == nil {
		a.cfg.Upload.Store, a.cfg.Upload.Layout, a.cfg.Upload.Codec = t.Store, t.Layout, t.Codec
		a.cfg.Upload.Tags, a.cfg.Upload.HistoryTags = t.Tags, t.HistoryTags
		return
	}
	a.up.SetTarget(t)
}

var errStandby = errors.New("the server is a standby")

const (
	// stableSession is how long a session must have lasted for its end to count as a new failure.
	stableSession = 30 * time.Second
	// persistentFailure is the number of failed sessions in a row from which each is logged as an error.
	persistentFailure = 3
)

func (a *Archiver) sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// shutdown stores what is in the spool, as far as the time budget allows: the open segment as .partial,
// then the queue. What is left stays in the spool for the next start.
func (a *Archiver) shutdown() error {
	ctx, cancel := context.WithTimeout(context.Background(), a.cfg.ShutdownTimeout)
	defer cancel()
	a.partialWG.Wait()
	var err error
	if a.open != nil {
		if n := a.written - a.open.start; n > 0 {
			var src io.ReaderAt
			var done func()
			if src, done, err = a.open.snapshot(n); err == nil {
				err = a.up.UploadPartial(ctx, a.open.name, src, n, a.segSize)
				done()
			}
			if err != nil {
				err = fmt.Errorf("uploading the final .partial of %s: %w", a.open.name, err)
			} else {
				a.cfg.Log.Info("uploaded the segment being written as .partial", "segment", a.open.name.String(),
					"upTo", layout.FormatLSN(a.written))
			}
		}
		a.open.close(a.up.bufs)
	}
	for !a.up.Idle() && ctx.Err() == nil {
		time.Sleep(50 * time.Millisecond)
	}
	if !a.up.Idle() {
		a.cfg.Log.Info("shutdown budget spent; the rest stays in the spool and is uploaded at the next start")
	}
	return err
}

// collect applies upload results to the confirmation state.
func (a *Archiver) collect(results <-chan Result) {
	for r := range results {
		switch {
		case r.Err == nil:
			a.mu.Lock()
			delete(a.pending, r.File)
			a.mu.Unlock()
			a.updateLag()
			if r.Name.Kind == layout.Segment {
				a.stored()
			}
		case errors.Is(r.Err, ErrConflict):
			a.noteConflict(r.Name)
		}
	}
}

// noteConflict stops confirmation from passing a refused file: a refused segment stays pending forever,
// which holds the confirmed position before it; for other files the position freezes where it is.
func (a *Archiver) noteConflict(n layout.Name) {
	if n.Kind == layout.Segment {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.capLSN == 0 || a.confirmed < a.capLSN {
		a.capLSN = max(a.confirmed, 1)
	}
}

func (a *Archiver) addPending(file string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	n, err := layout.Parse(file)
	if err != nil || n.Kind != layout.Segment {
		return
	}
	a.pending[file] = 0
	if a.segSize != 0 {
		a.pending[file] = n.SegNo(a.segSize) * a.segSize
	}
}

// lowestPending is the start of the oldest complete segment not yet stored (or refused); ok is false
// when there is none. The caller holds a.mu.
func (a *Archiver) lowestPending() (uint64, bool) {
	var low uint64
	found := false
	for f, start := range a.pending {
		if start == 0 {
			if a.segSize == 0 {
				continue
			}
			start = mustParse(f).SegNo(a.segSize) * a.segSize
			a.pending[f] = start
		}
		if !found || start < low {
			low, found = start, true
		}
	}
	return low, found
}

// archivedLSN is the position up to which WAL is durably in the store: the start of the oldest complete
// segment not stored yet, else the start of the open segment, or as far as its last stored .partial
// reached. Safe for any goroutine.
func (a *Archiver) archivedLSN() uint64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	pos := a.writtenEnd
	if a.hasOpen {
		pos = max(a.openStart, a.partialEnd)
	}
	if low, ok := a.lowestPending(); ok && low < pos {
		pos = low
	}
	return pos
}

func mustParse(file string) layout.Name {
	n, _ := layout.Parse(file)
	return n
}
