package s3store

import (
	"context"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/store"
)

// GetRange reads part of the object with an HTTP Range request.
func (s *Store) GetRange(ctx context.Context, key string, offset, length int64) (io.ReadCloser, error) {
	if err := store.CheckRange(offset, length); err != nil {
		return nil, fmt.Errorf("s3 get %s: %w", s.name(key), err)
	}
	r := fmt.Sprintf("bytes=%d-", offset)
	if length > 0 {
		r += fmt.Sprint(offset + length - 1)
	}
	out, err := s.api(ctx).GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.cfg.Bucket), Key: aws.String(key), Range: aws.String(r)})
	if err != nil {
		return nil, s.mapErr("get", key, err)
	}
	return out.Body, nil
}
