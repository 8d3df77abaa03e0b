package azurestore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blockblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/store"
)

// Store is the Azure Blob driver; it is safe for concurrent use.
type Store struct {
	client *container.Client
	cfg    Config
}

var _ store.Store = (*Store)(nil)

// Create uploads the blob with If-None-Match: *, so the service itself refuses to replace a blob.
func (s *Store) Create(ctx context.Context, key string, body io.Reader, size int64, opts store.PutOptions) error {
	return s.upload(ctx, "create", key, body, size, opts, true)
}

// Put uploads the blob unconditionally.
func (s *Store) Put(ctx context.Context, key string, body io.Reader, size int64, opts store.PutOptions) error {
	return s.upload(ctx, "put", key, body, size, opts, false)
}

func (s *Store) upload(ctx context.Context, op, key string, body io.Reader, size int64, opts store.PutOptions, create bool) error {
	bb := s.client.NewBlockBlobClient(key)
	var access *blob.AccessConditions
	if create {
		access = &blob.AccessConditions{ModifiedAccessConditions: &blob.ModifiedAccessConditions{IfNoneMatch: to.Ptr(azcore.ETagAny)}}
	}
	headers := &blob.HTTPHeaders{BlobContentType: to.Ptr(opts.ContentTypeOrDefault())}
	meta := toAzureMetadata(opts.Metadata)
	if size < 0 {
		// At most one block is buffered: a short body becomes one Put Blob, a long one staged blocks.
		buf := make([]byte, s.cfg.PartSize)
		n, err := io.ReadFull(body, buf)
		if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
			return fmt.Errorf("azure %s %s: reading the body: %w", op, s.name(key), err)
		}
		if err == nil {
			_, err = bb.UploadStream(ctx, io.MultiReader(bytes.NewReader(buf), body), &blockblob.UploadStreamOptions{
				BlockSize: s.cfg.PartSize, Concurrency: 1, HTTPHeaders: headers, Metadata: meta,
				AccessConditions: access, Tags: opts.Tags,
			})
			return s.mapErr(op, key, err)
		}
		body, size = bytes.NewReader(buf[:n]), int64(n)
	}
	_, err := bb.Upload(ctx, asSeeker(body, size), &blockblob.UploadOptions{
		HTTPHeaders: headers, Metadata: meta, AccessConditions: access, Tags: opts.Tags,
	})
	return s.mapErr(op, key, err)
}

// asSeeker gives a body of known size the io.ReadSeekCloser the SDK asks for without buffering it: the
// SDK only seeks to learn the length and to rewind before each try; a body already partly sent cannot be
// rewound, so a retry after a failed send fails and the caller retries the whole upload.
func asSeeker(body io.Reader, size int64) io.ReadSeekCloser {
	if rs, ok := body.(io.ReadSeeker); ok {
		return nopCloser{rs}
	}
	return &onceSeeker{r: io.LimitReader(body, size), size: size}
}

type nopCloser struct{ io.ReadSeeker }

func (nopCloser) Close() error { return nil }

type onceSeeker struct {
	r    io.Reader
	size int64
	pos  int64 // the position the SDK believes in before reading
	read bool
}

func (o *onceSeeker) Read(p []byte) (int, error) {
	o.read = true
	return o.r.Read(p)
}

func (o *onceSeeker) Seek(offset int64, whence int) (int64, error) {
	switch {
	case whence == io.SeekCurrent && offset == 0 && !o.read:
		return o.pos, nil
	case whence == io.SeekEnd && offset == 0 && !o.read:
		o.pos = o.size
		return o.size, nil
	case whence == io.SeekStart && offset == 0 && !o.read:
		o.pos = 0
		return 0, nil
	}
	return 0, errors.New("the upload body is a stream and cannot be rewound for a retry")
}

func (o *onceSeeker) Close() error { return nil }

// Stat returns the blob's size and metadata.
func (s *Store) Stat(ctx context.Context, key string) (store.Object, error) {
	p, err := s.client.NewBlobClient(key).GetProperties(ctx, nil)
	if err != nil {
		return store.Object{}, s.mapErr("stat", key, err)
	}
	var size int64
	if p.ContentLength != nil {
		size = *p.ContentLength
	}
	return store.Object{Key: key, Size: size, Metadata: fromAzureMetadata(p.Metadata)}, nil
}

// Get opens the blob for reading; the SDK's retry reader resumes a broken download where it stopped.
func (s *Store) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	resp, err := s.client.NewBlobClient(key).DownloadStream(ctx, nil)
	if err != nil {
		return nil, s.mapErr("get", key, err)
	}
	return resp.NewRetryReader(ctx, &blob.RetryReaderOptions{MaxRetries: 3}), nil
}

// List pages through the flat blob listing, which the service returns in lexical order.
func (s *Store) List(ctx context.Context, prefix string) ([]store.Object, error) {
	pager := s.client.NewListBlobsFlatPager(&container.ListBlobsFlatOptions{
		Prefix: to.Ptr(prefix), MaxResults: to.Ptr(s.cfg.ListPageSize),
	})
	var objs []store.Object
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, s.mapErr("list", prefix, err)
		}
		for _, b := range page.Segment.BlobItems {
			o := store.Object{Key: *b.Name}
			if b.Properties != nil && b.Properties.ContentLength != nil {
				o.Size = *b.Properties.ContentLength
			}
			objs = append(objs, o)
		}
	}
	sort.SliceStable(objs, func(i, j int) bool { return objs[i].Key < objs[j].Key })
	return objs, nil
}

// Delete removes the blob and its snapshots; a missing blob is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	_, err := s.client.NewBlobClient(key).Delete(ctx, &blob.DeleteOptions{DeleteSnapshots: to.Ptr(blob.DeleteSnapshotsOptionTypeInclude)})
	if err = s.mapErr("delete", key, err); errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return err
}

// Blob metadata names must be C# identifiers, so '-' becomes '_' on the way in ("walarchiver_sha256").
// The service may change the case of names; they are lowercased on the way out, and the sha256 key is
// mapped back to store.MetaSHA256 so callers see one name on every store.
var azureSHA256 = toAzureName(store.MetaSHA256)

func toAzureName(k string) string { return strings.ReplaceAll(k, "-", "_") }

func toAzureMetadata(m map[string]string) map[string]*string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]*string, len(m))
	for k, v := range m {
		out[toAzureName(k)] = to.Ptr(v)
	}
	return out
}

func fromAzureMetadata(m map[string]*string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		if v == nil {
			continue
		}
		name := strings.ToLower(k)
		if name == azureSHA256 {
			name = store.MetaSHA256
		}
		out[name] = *v
	}
	return out
}
