package basebackup

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/compress"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/layout"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/store"
)

// uploads turns each archive of the COPY stream into one object: the server's bytes go through a pipe
// into the tar filter, the codec and the store's parallel upload, so nothing is staged on disk and the
// server is paced by the store. An archive's upload may still be finishing while the next one streams.
type uploads struct {
	ctx    context.Context
	st     store.Store
	lay    layout.Layout
	id     string
	codec  compress.Codec
	tarExt string
	opts   store.PutOptions
	jobs   int

	cur *archive
	mu  sync.Mutex
	all []*archive
}

type archive struct {
	key      string
	name     string // data or the tablespace OID
	location string
	pw       *io.PipeWriter
	done     chan struct{}
	err      error
	bytes    int64 // stored (compressed) bytes
	raw      int64 // bytes the server sent
	label    string
}

func (u *uploads) start(name, location string) error {
	base, ok := strings.CutSuffix(name, ".tar")
	if !ok {
		return fmt.Errorf("BASE_BACKUP sent archive %q; expected base.tar or <oid>.tar (is server-side compression on?)", name)
	}
	tarName := layout.DataTar
	if base != "base" {
		oid, err := strconv.ParseUint(base, 10, 32)
		if err != nil || oid == 0 {
			return fmt.Errorf("BASE_BACKUP sent archive %q, which is neither base.tar nor <tablespace oid>.tar", name)
		}
		tarName = layout.TablespaceTar(uint32(oid))
	}
	a := &archive{name: tarName, location: location, done: make(chan struct{}),
		key: u.lay.TarKey(u.id, layout.Tar{Name: tarName, Ext: u.tarExt})}
	pr, pw := io.Pipe()
	a.pw = pw
	u.mu.Lock()
	u.all = append(u.all, a)
	u.mu.Unlock()
	u.cur = a
	go func() {
		defer close(a.done)
		a.bytes, a.label, a.err = u.store(a, pr)
		// Unblocks the receiver if the upload stopped before the archive's end.
		pr.CloseWithError(fmt.Errorf("the upload of %s stopped: %w", a.key, errOr(a.err)))
	}()
	return nil
}

func errOr(err error) error {
	if err == nil {
		return io.ErrClosedPipe
	}
	return err
}

// store runs filter → codec → CreateParallel for one archive.
func (u *uploads) store(a *archive, src io.Reader) (int64, string, error) {
	cr, cw := io.Pipe()
	var label string
	var ferr error
	fdone := make(chan struct{})
	go func() {
		defer close(fdone)
		zw, err := u.codec.NewWriter(cw)
		if err == nil {
			label, err = filterTar(zw, src, a.name == layout.DataTar)
			if cerr := zw.Close(); err == nil {
				err = cerr
			}
		}
		ferr = err
		cw.CloseWithError(err)
	}()
	n, err := u.st.CreateParallel(u.ctx, a.key, cr, u.opts, u.jobs)
	cr.CloseWithError(fmt.Errorf("the upload of %s stopped", a.key))
	if err != nil {
		// The filter still holds src: unblock it, so that it returns.
		if c, ok := src.(*io.PipeReader); ok {
			c.CloseWithError(err)
		}
		<-fdone
		return 0, "", err
	}
	<-fdone
	if ferr != nil {
		return 0, "", ferr
	}
	return n, label, nil
}

func (u *uploads) data(b []byte) error {
	n, err := u.cur.pw.Write(b)
	u.cur.raw += int64(n)
	return err
}

func (u *uploads) end() error {
	u.cur.pw.Close()
	u.cur = nil
	return nil
}

// abort stops the archive being received.
func (u *uploads) abort(err error) {
	if u.cur != nil {
		// %v: the server's error may wrap io.ErrUnexpectedEOF, which must not read as the tar's end.
		u.cur.pw.CloseWithError(fmt.Errorf("the server's stream broke: %v", err))
		u.cur = nil
	}
}

// wait waits for every upload and returns the first error.
func (u *uploads) wait() error {
	u.mu.Lock()
	all := append([]*archive(nil), u.all...)
	u.mu.Unlock()
	var first error
	for _, a := range all {
		<-a.done
		if a.err != nil && first == nil {
			first = fmt.Errorf("%s: %w", a.key, a.err)
		}
	}
	return first
}

// stored lists the objects the uploads created, after wait: only those, since a key refused as
// existing belongs to someone else.
func (u *uploads) stored() []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	var out []string
	for _, a := range u.all {
		if a.err == nil {
			out = append(out, a.key)
		}
	}
	return out
}
