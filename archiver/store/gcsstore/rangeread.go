package gcsstore

import (
	"context"
	"fmt"
	"io"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/store"
)

// GetRange reads part of the object with a ranged media download.
func (s *Store) GetRange(ctx context.Context, key string, offset, length int64) (io.ReadCloser, error) {
	if err := store.CheckRange(offset, length); err != nil {
		return nil, fmt.Errorf("gcs get %s: %w", s.name(key), err)
	}
	r, err := s.bucket.Object(key).NewRangeReader(ctx, offset, length)
	if err != nil {
		return nil, s.mapErr("get", key, err)
	}
	return r, nil
}
