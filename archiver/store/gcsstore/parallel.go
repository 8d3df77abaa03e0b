package gcsstore

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"sync"

	"cloud.google.com/go/storage"
	"golang.org/x/sync/errgroup"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/store"
)

// defaultParallelPartSize is the size of the first parts of a parallel upload.
const defaultParallelPartSize = 16 << 20

// maxCompose is how many sources one compose request takes.
const maxCompose = 32

// CreateParallel claims key with an empty conditional create, uploads the parts as temporary objects
// beside it (key + ".part-<random>-<n>") with up to jobs in flight, composes them over the claim (so an
// existing object is never replaced), and deletes the temporary objects whatever happens; a failed
// upload deletes its claim too. A resumable upload cannot be
// parallel: its chunks must arrive in order.
func (s *Store) CreateParallel(ctx context.Context, key string, body io.Reader, opts store.PutOptions, jobs int) (int64, error) {
	var salt [6]byte
	if _, err := rand.Read(salt[:]); err != nil {
		return 0, err
	}
	tmpPrefix := key + ".part-" + hex.EncodeToString(salt[:]) + "-"
	var (
		mu    sync.Mutex
		temps []string
	)
	track := func(name string) {
		mu.Lock()
		temps = append(temps, name)
		mu.Unlock()
	}
	defer func() {
		// On a fresh context: the caller's may be what ended, and every temporary object is billed.
		cctx := context.WithoutCancel(ctx)
		var g errgroup.Group
		g.SetLimit(max(jobs, 1))
		for _, t := range temps {
			g.Go(func() error { _ = s.bucket.Object(t).Delete(cctx); return nil })
		}
		_ = g.Wait()
	}()
	single := func(ctx context.Context, b []byte) error {
		return s.upload(ctx, "create", key, bytes.NewReader(b), opts, true)
	}
	// The key is claimed first with an empty object created with ifGenerationMatch=0, and the compose
	// replaces exactly that generation: the claim makes a second writer fail before it uploads, and it
	// is the only precondition fake-gcs-server checks (it ignores them on compose; GCS does not).
	var (
		claimMu sync.Mutex
		claimed int64
	)
	claim := func(ctx context.Context) error {
		claimMu.Lock()
		defer claimMu.Unlock()
		if claimed != 0 {
			return nil
		}
		w := s.bucket.Object(key).If(storage.Conditions{DoesNotExist: true}).NewWriter(ctx)
		w.ContentType = opts.ContentTypeOrDefault()
		if err := w.Close(); err != nil {
			return s.mapErr("create", key, err)
		}
		claimed = w.Attrs().Generation
		return nil
	}
	part := func(ctx context.Context, n int, b []byte) error {
		if err := claim(ctx); err != nil {
			return err
		}
		name := fmt.Sprintf("%s%05d", tmpPrefix, n)
		track(name)
		return s.writeTemp(ctx, key, name, b)
	}
	size := s.cfg.ParallelPartSize
	if size <= 0 {
		size = defaultParallelPartSize
	}
	parts, total, err := store.SendParts(ctx, body, jobs, size, single, part)
	if err == nil && parts > 0 {
		srcs := make([]string, parts)
		for i := range srcs {
			srcs[i] = fmt.Sprintf("%s%05d", tmpPrefix, i+1)
		}
		err = s.compose(ctx, key, claimed, srcs, tmpPrefix, opts, track)
	}
	if err != nil {
		if claimed != 0 {
			_ = s.bucket.Object(key).If(storage.Conditions{GenerationMatch: claimed}).Delete(context.WithoutCancel(ctx))
		}
		if !strings.HasPrefix(err.Error(), "gcs ") { // reading the body, or ctx
			err = fmt.Errorf("gcs create %s: %w", s.name(key), err)
		}
		return 0, err
	}
	return total, nil
}

func (s *Store) writeTemp(ctx context.Context, key, name string, b []byte) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w := s.bucket.Object(name).NewWriter(ctx)
	w.ChunkSize = 0 // one request per part
	w.ContentType = "application/octet-stream"
	if _, err := w.Write(b); err != nil {
		cancel()
		_ = w.Close()
		return s.mapErr("create", key, err)
	}
	return s.mapErr("create", key, w.Close())
}

// compose joins srcs into key, through levels of intermediate objects while there are more than one
// compose request takes.
func (s *Store) compose(ctx context.Context, key string, claimed int64, srcs []string, tmpPrefix string, opts store.PutOptions, track func(string)) error {
	for level := 0; len(srcs) > maxCompose; level++ {
		var next []string
		var g errgroup.Group
		for i := 0; i < len(srcs); i += maxCompose {
			group := srcs[i:min(i+maxCompose, len(srcs))]
			name := fmt.Sprintf("%sc%d-%05d", tmpPrefix, level, i/maxCompose)
			next = append(next, name)
			track(name)
			g.Go(func() error {
				c := s.bucket.Object(name).ComposerFrom(handles(s.bucket, group)...)
				c.ContentType = "application/octet-stream"
				_, err := c.Run(ctx)
				return s.mapErr("create", key, err)
			})
		}
		if err := g.Wait(); err != nil {
			return err
		}
		srcs = next
	}
	c := s.bucket.Object(key).If(storage.Conditions{GenerationMatch: claimed}).ComposerFrom(handles(s.bucket, srcs)...)
	c.ContentType = opts.ContentTypeOrDefault()
	c.Metadata = opts.Metadata
	_, err := c.Run(ctx)
	return s.mapErr("create", key, err)
}

func handles(b *storage.BucketHandle, names []string) []*storage.ObjectHandle {
	out := make([]*storage.ObjectHandle, len(names))
	for i, n := range names {
		out[i] = b.Object(n)
	}
	return out
}
