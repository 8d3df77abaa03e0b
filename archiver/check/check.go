package check

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/store"
)

// Target is the store to check.
type Target struct {
	Store store.Store
	// Bucket, Prefix and Endpoint are for messages; the probe is written under Prefix.
	Bucket   string
	Prefix   string
	Endpoint string
	// StepTimeout bounds each step; default 30 s.
	StepTimeout time.Duration
}

// Step is the outcome of one step.
type Step struct {
	Name    string
	OK      bool
	Class   Class
	Message string
	Err     error
}

// The steps, in order; a failed step stops the ones after it, except the final delete of a written probe.
const (
	StepReach  = "reach the store and list the prefix"
	StepWrite  = "write a probe object (conditional create)"
	StepList   = "list the probe"
	StepRead   = "read the probe back"
	StepExists = "refuse to overwrite the probe"
	StepDelete = "delete the probe"
)

// Run checks the target and returns every step it ran; OK reports whether all passed.
func Run(ctx context.Context, t Target) []Step {
	if t.StepTimeout <= 0 {
		t.StepTimeout = 30 * time.Second
	}
	probe := make([]byte, 256)
	if _, err := rand.Read(probe); err != nil {
		return []Step{{Name: StepWrite, Class: ClassOther, Message: "no randomness for the probe: " + err.Error(), Err: err}}
	}
	sum := sha256.Sum256(probe)
	key := join(t.Prefix, ".wal-archiver-check-"+hex.EncodeToString(sum[:6]))
	opts := store.PutOptions{Metadata: map[string]string{store.MetaSHA256: hex.EncodeToString(sum[:])}}

	var steps []Step
	run := func(name string, f func(ctx context.Context) error) bool {
		sctx, cancel := context.WithTimeout(ctx, t.StepTimeout)
		defer cancel()
		err := f(sctx)
		st := Step{Name: name, OK: err == nil, Err: err}
		if err != nil {
			st.Class, st.Message = Classify(err, t.Bucket, t.Endpoint)
		}
		steps = append(steps, st)
		return err == nil
	}

	if !run(StepReach, func(ctx context.Context) error {
		_, err := t.Store.List(ctx, join(t.Prefix, ".wal-archiver-check-"))
		return err
	}) {
		return steps
	}
	if !run(StepWrite, func(ctx context.Context) error {
		return t.Store.Create(ctx, key, bytes.NewReader(probe), int64(len(probe)), opts)
	}) {
		return steps
	}
	// From here on the probe exists: whatever fails, it is deleted at the end.
	if run(StepList, func(ctx context.Context) error {
		objs, err := t.Store.List(ctx, join(t.Prefix, ".wal-archiver-check-"))
		if err != nil {
			return err
		}
		for _, o := range objs {
			if o.Key == key {
				if o.Size != int64(len(probe)) {
					return integrityError{fmt.Sprintf("the listing says the probe %s has %d bytes, %d were written", key, o.Size, len(probe))}
				}
				return nil
			}
		}
		return integrityError{fmt.Sprintf("the probe %s was written but is not listed under %q", key, t.Prefix)}
	}) && run(StepRead, func(ctx context.Context) error {
		rc, err := t.Store.Get(ctx, key)
		if err != nil {
			return err
		}
		defer rc.Close()
		got, err := io.ReadAll(rc)
		if err != nil {
			return err
		}
		if !bytes.Equal(got, probe) {
			return integrityError{fmt.Sprintf("the probe %s read back %d different bytes", key, len(got))}
		}
		obj, err := t.Store.Stat(ctx, key)
		if err != nil {
			return err
		}
		if obj.Metadata[store.MetaSHA256] != opts.Metadata[store.MetaSHA256] {
			return integrityError{fmt.Sprintf("the probe's %s metadata was not kept (got %q)", store.MetaSHA256, obj.Metadata[store.MetaSHA256])}
		}
		return nil
	}) {
		run(StepExists, func(ctx context.Context) error {
			err := t.Store.Create(ctx, key, bytes.NewReader([]byte("other")), 5, store.PutOptions{})
			if errors.Is(err, store.ErrExists) {
				return nil
			}
			if err == nil {
				return integrityError{"the store accepted a conditional create over an existing object: it does not honour If-None-Match, so archived WAL could be overwritten"}
			}
			return err
		})
	}
	run(StepDelete, func(ctx context.Context) error { return t.Store.Delete(ctx, key) })
	return steps
}

// OK reports whether every step passed.
func OK(steps []Step) bool {
	for _, s := range steps {
		if !s.OK {
			return false
		}
	}
	return len(steps) > 0
}

type integrityError struct{ msg string }

func (e integrityError) Error() string { return e.msg }

func join(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "/" + name
}
