package s3store

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/store"
)

// CreateParallel uploads body as a multipart upload with up to jobs parts in flight, completed with
// If-None-Match: * so that an existing object is never replaced; a failed upload is aborted, which frees
// the parts already sent.
func (s *Store) CreateParallel(ctx context.Context, key string, body io.Reader, opts store.PutOptions, jobs int) (int64, error) {
	var (
		upload  *s3.CreateMultipartUploadOutput
		startMu sync.Mutex
		mu      sync.Mutex
		done    []types.CompletedPart
	)
	// The upload is started by the first part, so a body that fits one part costs one request.
	start := func(ctx context.Context) (*string, error) {
		startMu.Lock()
		defer startMu.Unlock()
		if upload != nil {
			return upload.UploadId, nil
		}
		in := &s3.CreateMultipartUploadInput{
			Bucket: aws.String(s.cfg.Bucket), Key: aws.String(key),
			ContentType: aws.String(opts.ContentTypeOrDefault()), Metadata: opts.Metadata, Tagging: tagging(opts.Tags),
		}
		if s.cfg.Encryption != "" {
			in.ServerSideEncryption = types.ServerSideEncryption(s.cfg.Encryption)
			if s.cfg.KMSKeyID != "" {
				in.SSEKMSKeyId = aws.String(s.cfg.KMSKeyID)
			}
		}
		out, err := s.api(ctx).CreateMultipartUpload(ctx, in)
		if err != nil {
			return nil, s.mapErr("create", key, err)
		}
		upload = out
		return out.UploadId, nil
	}
	single := func(ctx context.Context, b []byte) error {
		return s.putObject(ctx, "create", key, bytes.NewReader(b), int64(len(b)), opts, true)
	}
	part := func(ctx context.Context, n int, b []byte) error {
		id, err := start(ctx)
		if err != nil {
			return err
		}
		out, err := s.api(ctx).UploadPart(ctx, &s3.UploadPartInput{
			Bucket: aws.String(s.cfg.Bucket), Key: aws.String(key), UploadId: id,
			PartNumber: aws.Int32(int32(n)), Body: bytes.NewReader(b), ContentLength: aws.Int64(int64(len(b))),
		})
		if err != nil {
			return s.mapErr("create", key, err)
		}
		mu.Lock()
		done = append(done, types.CompletedPart{ETag: out.ETag, PartNumber: aws.Int32(int32(n))})
		mu.Unlock()
		return nil
	}
	parts, total, err := store.SendParts(ctx, body, jobs, s.cfg.PartSize, single, part)
	if err == nil && parts > 0 {
		sort.Slice(done, func(i, j int) bool { return *done[i].PartNumber < *done[j].PartNumber })
		_, err = s.api(ctx).CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
			Bucket: aws.String(s.cfg.Bucket), Key: aws.String(key), UploadId: upload.UploadId,
			MultipartUpload: &types.CompletedMultipartUpload{Parts: done}, IfNoneMatch: aws.String("*"),
		})
		err = s.mapErr("create", key, err)
	}
	if err != nil {
		if upload != nil {
			// On a fresh context: the caller's may be what ended, and abandoned parts are billed.
			_, _ = s.api(ctx).AbortMultipartUpload(context.WithoutCancel(ctx), &s3.AbortMultipartUploadInput{
				Bucket: aws.String(s.cfg.Bucket), Key: aws.String(key), UploadId: upload.UploadId,
			})
		}
		if !strings.HasPrefix(err.Error(), "s3 ") { // reading the body, or ctx
			err = fmt.Errorf("s3 create %s: %w", s.name(key), err)
		}
		return 0, err
	}
	return total, nil
}
