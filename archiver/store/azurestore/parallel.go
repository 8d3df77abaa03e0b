package azurestore

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blockblob"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/store"
)

// CreateParallel stages blocks with up to jobs in flight and commits the block list with If-None-Match: *,
// so an existing blob is never replaced. Nothing is visible before the commit; the service discards the
// uncommitted blocks of a failed upload by itself (after a week), as there is no call to drop them.
func (s *Store) CreateParallel(ctx context.Context, key string, body io.Reader, opts store.PutOptions, jobs int) (int64, error) {
	bb := s.client.NewBlockBlobClient(key)
	// Block IDs must have one length within a blob; a random prefix keeps two uploads of the same key
	// (one of which will lose at the commit) from committing each other's blocks.
	var salt [8]byte
	if _, err := rand.Read(salt[:]); err != nil {
		return 0, err
	}
	blockID := func(n int) string {
		return base64.StdEncoding.EncodeToString(fmt.Appendf(nil, "%s-%08d", hex.EncodeToString(salt[:]), n))
	}
	single := func(ctx context.Context, b []byte) error {
		return s.upload(ctx, "create", key, bytes.NewReader(b), int64(len(b)), opts, true)
	}
	part := func(ctx context.Context, n int, b []byte) error {
		_, err := bb.StageBlock(ctx, blockID(n), nopCloser{bytes.NewReader(b)}, nil)
		if err != nil {
			return s.mapErr("create", key, err)
		}
		return nil
	}
	parts, total, err := store.SendParts(ctx, body, jobs, s.cfg.PartSize, single, part)
	if err == nil && parts > 0 {
		ids := make([]string, parts)
		for i := range ids {
			ids[i] = blockID(i + 1)
		}
		_, err = bb.CommitBlockList(ctx, ids, &blockblob.CommitBlockListOptions{
			HTTPHeaders: &blob.HTTPHeaders{BlobContentType: to.Ptr(opts.ContentTypeOrDefault())},
			Metadata:    toAzureMetadata(opts.Metadata), Tags: opts.Tags,
			AccessConditions: &blob.AccessConditions{ModifiedAccessConditions: &blob.ModifiedAccessConditions{
				IfNoneMatch: to.Ptr(azcore.ETagAny)}},
		})
		err = s.mapErr("create", key, err)
	}
	if err != nil {
		if !strings.HasPrefix(err.Error(), "azure ") { // reading the body, or ctx
			err = fmt.Errorf("azure create %s: %w", s.name(key), err)
		}
		return 0, err
	}
	return total, nil
}
