package gcsstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"

	"cloud.google.com/go/storage"
	"google.golang.org/api/iterator"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/store"
)

// Store is the Google Cloud Storage driver; it is safe for concurrent use.
type Store struct {
	client *storage.Client
	bucket *storage.BucketHandle
	cfg    Config
}

var _ store.Store = (*Store)(nil)

// Create uploads the object with ifGenerationMatch=0, so the service itself refuses to replace an object.
func (s *Store) Create(ctx context.Context, key string, body io.Reader, size int64, opts store.PutOptions) error {
	return s.upload(ctx, "create", key, body, opts, true)
}

// Put uploads the object unconditionally. GCS has no object tags; opts.Tags are ignored, as barman does.
func (s *Store) Put(ctx context.Context, key string, body io.Reader, size int64, opts store.PutOptions) error {
	return s.upload(ctx, "put", key, body, opts, false)
}

func (s *Store) upload(ctx context.Context, op, key string, body io.Reader, opts store.PutOptions, create bool) error {
	obj := s.bucket.Object(key)
	if create {
		obj = obj.If(storage.Conditions{DoesNotExist: true})
	}
	// Cancelling the context is the only way to abandon a Writer without committing what it has.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w := obj.NewWriter(ctx)
	w.ChunkSize = s.cfg.ChunkSize
	w.ContentType = opts.ContentTypeOrDefault()
	w.Metadata = opts.Metadata
	if _, err := io.Copy(w, body); err != nil {
		cancel()
		_ = w.Close()
		return s.mapErr(op, key, err)
	}
	return s.mapErr(op, key, w.Close())
}

// Stat returns the object's size and metadata. A missing bucket reads as ErrNotFound here, as on S3.
func (s *Store) Stat(ctx context.Context, key string) (store.Object, error) {
	attrs, err := s.bucket.Object(key).Attrs(ctx)
	if err != nil {
		return store.Object{}, s.mapErr("stat", key, err)
	}
	return store.Object{Key: key, Size: attrs.Size, Metadata: attrs.Metadata}, nil
}

// Get opens the object for reading. The JSON API answers 404 for a missing bucket as for a missing
// object; on 404 the bucket is looked up once so that a wrong bucket name is reported as such.
func (s *Store) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	r, err := s.bucket.Object(key).NewReader(ctx)
	if err == nil {
		return r, nil
	}
	if errors.Is(err, storage.ErrObjectNotExist) {
		if _, berr := s.bucket.Attrs(ctx); errors.Is(berr, storage.ErrBucketNotExist) {
			err = berr
		}
	}
	return nil, s.mapErr("get", key, err)
}

// List pages through the objects under prefix; the service returns them in lexical order.
func (s *Store) List(ctx context.Context, prefix string) ([]store.Object, error) {
	q := &storage.Query{Prefix: prefix}
	if err := q.SetAttrSelection([]string{"Name", "Size"}); err != nil {
		return nil, fmt.Errorf("gcs list: %w", err)
	}
	it := s.bucket.Objects(ctx, q)
	if s.cfg.ListPageSize > 0 {
		it.PageInfo().MaxSize = s.cfg.ListPageSize
	}
	var objs []store.Object
	for {
		attrs, err := it.Next()
		if errors.Is(err, iterator.Done) {
			break
		}
		if err != nil {
			return nil, s.mapErr("list", prefix, listErr(err))
		}
		objs = append(objs, store.Object{Key: attrs.Name, Size: attrs.Size})
	}
	sort.SliceStable(objs, func(i, j int) bool { return objs[i].Key < objs[j].Key })
	return objs, nil
}

// Delete removes the object; a missing object is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	err := s.mapErr("delete", key, s.bucket.Object(key).Delete(ctx))
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return err
}
