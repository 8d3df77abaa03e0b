package s3store

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/store"
)

// Store is the S3 driver; it is safe for concurrent use and keeps one connection pool.
type Store struct {
	regional
	cfg Config
}

var _ store.Store = (*Store)(nil)

// Create uploads the object with If-None-Match: *, so the service itself refuses to replace an object.
func (s *Store) Create(ctx context.Context, key string, body io.Reader, size int64, opts store.PutOptions) error {
	return s.upload(ctx, key, body, size, opts, true)
}

// Put uploads the object unconditionally.
func (s *Store) Put(ctx context.Context, key string, body io.Reader, size int64, opts store.PutOptions) error {
	return s.upload(ctx, key, body, size, opts, false)
}

func (s *Store) upload(ctx context.Context, key string, body io.Reader, size int64, opts store.PutOptions, create bool) error {
	op := "put"
	if create {
		op = "create"
	}
	if size < 0 {
		// Read at most one part: a small body becomes a single PUT, a large one a multipart upload whose
		// memory is one part buffer whatever the size.
		buf := make([]byte, s.cfg.PartSize)
		n, err := io.ReadFull(body, buf)
		switch {
		case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
			return s.putObject(ctx, op, key, bytes.NewReader(buf[:n]), int64(n), opts, create)
		case err != nil:
			return fmt.Errorf("s3 %s %s: reading the body: %w", op, s.name(key), err)
		}
		return s.multipart(ctx, op, key, io.MultiReader(bytes.NewReader(buf), body), opts, create, buf)
	}
	if size > s.cfg.SinglePutLimit {
		return s.multipart(ctx, op, key, io.LimitReader(body, size), opts, create, make([]byte, s.cfg.PartSize))
	}
	return s.putObject(ctx, op, key, body, size, opts, create)
}

func (s *Store) putObject(ctx context.Context, op, key string, body io.Reader, size int64, opts store.PutOptions, create bool) error {
	in := &s3.PutObjectInput{
		Bucket:        aws.String(s.cfg.Bucket),
		Key:           aws.String(key),
		Body:          body,
		ContentLength: aws.Int64(size),
		ContentType:   aws.String(opts.ContentTypeOrDefault()),
		Metadata:      opts.Metadata,
		Tagging:       tagging(opts.Tags),
	}
	if create {
		in.IfNoneMatch = aws.String("*")
	}
	if s.cfg.Encryption != "" {
		in.ServerSideEncryption = types.ServerSideEncryption(s.cfg.Encryption)
		if s.cfg.KMSKeyID != "" {
			in.SSEKMSKeyId = aws.String(s.cfg.KMSKeyID)
		}
	}
	_, seekable := body.(io.Seeker)
	_, err := s.api(ctx).PutObject(ctx, in, payloadHash(opts.Metadata[store.MetaSHA256], seekable))
	return s.mapErr(op, key, err)
}

// payloadHash signs the body with the caller's SHA-256 when it is given: the service then rejects a body
// that does not match it (end-to-end integrity), and the SDK needs neither a seekable body nor a second
// read to hash it, which keeps 16 MiB segments streaming. A stream without a hash goes unsigned, as the
// SDK itself does over TLS, rather than failing on plain HTTP.
func payloadHash(sum string, seekable bool) func(*s3.Options) {
	return func(o *s3.Options) {
		if b, err := hex.DecodeString(sum); err != nil || len(b) != 32 {
			if seekable {
				return
			}
			sum = "UNSIGNED-PAYLOAD"
		}
		o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
			return stack.Finalize.Insert(middleware.FinalizeMiddlewareFunc("WALArchiverPayloadHash",
				func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (
					middleware.FinalizeOutput, middleware.Metadata, error,
				) {
					return next.HandleFinalize(v4.SetPayloadHash(ctx, sum), in)
				}), "ComputePayloadHash", middleware.Before)
		})
	}
}

func (s *Store) multipart(ctx context.Context, op, key string, body io.Reader, opts store.PutOptions, create bool, buf []byte) (err error) {
	in := &s3.CreateMultipartUploadInput{
		Bucket:      aws.String(s.cfg.Bucket),
		Key:         aws.String(key),
		ContentType: aws.String(opts.ContentTypeOrDefault()),
		Metadata:    opts.Metadata,
		Tagging:     tagging(opts.Tags),
	}
	if s.cfg.Encryption != "" {
		in.ServerSideEncryption = types.ServerSideEncryption(s.cfg.Encryption)
		if s.cfg.KMSKeyID != "" {
			in.SSEKMSKeyId = aws.String(s.cfg.KMSKeyID)
		}
	}
	up, err := s.api(ctx).CreateMultipartUpload(ctx, in)
	if err != nil {
		return s.mapErr(op, key, err)
	}
	defer func() {
		if err != nil {
			// Best effort on a fresh context: an abandoned upload keeps its parts (and their cost).
			_, _ = s.api(ctx).AbortMultipartUpload(context.WithoutCancel(ctx), &s3.AbortMultipartUploadInput{
				Bucket: aws.String(s.cfg.Bucket), Key: aws.String(key), UploadId: up.UploadId,
			})
		}
	}()
	var parts []types.CompletedPart
	for n := int32(1); ; n++ {
		read, rerr := io.ReadFull(body, buf)
		if read == 0 && n > 1 {
			break
		}
		if rerr != nil && !errors.Is(rerr, io.EOF) && !errors.Is(rerr, io.ErrUnexpectedEOF) {
			return fmt.Errorf("s3 %s %s: reading the body: %w", op, s.name(key), rerr)
		}
		part, perr := s.api(ctx).UploadPart(ctx, &s3.UploadPartInput{
			Bucket: aws.String(s.cfg.Bucket), Key: aws.String(key), UploadId: up.UploadId,
			PartNumber: aws.Int32(n), Body: bytes.NewReader(buf[:read]), ContentLength: aws.Int64(int64(read)),
		})
		if perr != nil {
			return s.mapErr(op, key, perr)
		}
		parts = append(parts, types.CompletedPart{ETag: part.ETag, PartNumber: aws.Int32(n)})
		if rerr != nil {
			break
		}
	}
	done := &s3.CompleteMultipartUploadInput{
		Bucket: aws.String(s.cfg.Bucket), Key: aws.String(key), UploadId: up.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
	}
	if create {
		done.IfNoneMatch = aws.String("*")
	}
	_, err = s.api(ctx).CompleteMultipartUpload(ctx, done)
	return s.mapErr(op, key, err)
}

// Stat returns the object's size and user metadata. A HEAD response has no body, so a missing bucket
// also reads as ErrNotFound here; List and Get tell the two apart.
func (s *Store) Stat(ctx context.Context, key string) (store.Object, error) {
	out, err := s.api(ctx).HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(s.cfg.Bucket), Key: aws.String(key)})
	if err != nil {
		return store.Object{}, s.mapErr("stat", key, err)
	}
	return store.Object{Key: key, Size: aws.ToInt64(out.ContentLength), Metadata: out.Metadata}, nil
}

// Get opens the object for reading.
func (s *Store) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	out, err := s.api(ctx).GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.cfg.Bucket), Key: aws.String(key)})
	if err != nil {
		return nil, s.mapErr("get", key, err)
	}
	return out.Body, nil
}

// List pages through ListObjectsV2; S3 returns keys in UTF-8 binary order, which is lexical for WAL names.
func (s *Store) List(ctx context.Context, prefix string) ([]store.Object, error) {
	p := s3.NewListObjectsV2Paginator(s.api(ctx), &s3.ListObjectsV2Input{
		Bucket: aws.String(s.cfg.Bucket), Prefix: aws.String(prefix), MaxKeys: aws.Int32(s.cfg.ListPageSize),
	})
	var objs []store.Object
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, s.mapErr("list", prefix, err)
		}
		for _, o := range page.Contents {
			objs = append(objs, store.Object{Key: aws.ToString(o.Key), Size: aws.ToInt64(o.Size)})
		}
	}
	// Some compatibles do not sort; the interface promises lexical order.
	sort.SliceStable(objs, func(i, j int) bool { return objs[i].Key < objs[j].Key })
	return objs, nil
}

// Delete removes the object; S3 answers 204 for a missing key too.
func (s *Store) Delete(ctx context.Context, key string) error {
	_, err := s.api(ctx).DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(s.cfg.Bucket), Key: aws.String(key)})
	if err = s.mapErr("delete", key, err); errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return err
}

// tagging encodes tags as the URL query string PutObject's x-amz-tagging header expects.
func tagging(tags map[string]string) *string {
	if len(tags) == 0 {
		return nil
	}
	v := url.Values{}
	for k, val := range tags {
		v.Set(k, val)
	}
	return aws.String(v.Encode())
}
