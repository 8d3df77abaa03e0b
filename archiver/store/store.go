package store

import (
	"context"
	"errors"
	"io"
)

// ErrExists is returned by Create when an object is already at the key.
var ErrExists = errors.New("object already exists")

// ErrNotFound is returned when no object is at the key.
var ErrNotFound = errors.New("object not found")

// ErrBucketNotFound is returned when the bucket or container named by the destination path does not exist.
var ErrBucketNotFound = errors.New("bucket does not exist")

// ErrAuthentication is returned when the store rejects the credentials themselves (unknown key, bad
// signature, expired token), as opposed to ErrPermission, where it knows who is asking and says no.
var ErrAuthentication = errors.New("authentication failed")

// ErrPermission is returned when the credentials are valid but not allowed the operation.
var ErrPermission = errors.New("permission denied")

// MetaSHA256 is the object metadata key holding the hex sha256 of the object's bytes as stored, so that a
// retry can tell its own earlier upload from someone else's object without downloading it.
const MetaSHA256 = "walarchiver-sha256"

// Object describes a stored object.
type Object struct {
	Key      string
	Size     int64
	Metadata map[string]string
}

// PutOptions are the per-object settings of an upload.
type PutOptions struct {
	Metadata    map[string]string
	Tags        map[string]string
	ContentType string
}

// ContentTypeOrDefault is ContentType, or application/octet-stream (what WAL is) when it is empty.
func (o PutOptions) ContentTypeOrDefault() string {
	if o.ContentType != "" {
		return o.ContentType
	}
	return "application/octet-stream"
}

// Store is an object store rooted at a bucket or container. Keys are full object names within it.
type Store interface {
	// Create writes the object only if no object exists at key (a conditional create on the server, never
	// a check-then-write); ErrExists otherwise. size may be -1 when unknown.
	Create(ctx context.Context, key string, body io.Reader, size int64, opts PutOptions) error
	// Put writes the object whether or not one exists; used only for .partial segments, which are
	// rewritten as they grow.
	Put(ctx context.Context, key string, body io.Reader, size int64, opts PutOptions) error
	// Stat returns the object's size and metadata, or ErrNotFound.
	Stat(ctx context.Context, key string) (Object, error)
	// Get opens the object for reading, or ErrNotFound.
	Get(ctx context.Context, key string) (io.ReadCloser, error)
	// GetRange opens length bytes of the object starting at offset (length -1: to its end), or
	// ErrNotFound; a restore reads one large base-backup tar over several connections with it. The range
	// must lie inside the object and length must not be 0.
	GetRange(ctx context.Context, key string, offset, length int64) (io.ReadCloser, error)
	// List returns the objects whose keys start with prefix, in lexical order.
	List(ctx context.Context, prefix string) ([]Object, error)
	// CreateParallel is Create for a large body of unknown size (a base backup's tar): it reads body in
	// parts and sends up to jobs of them at once (S3 multipart, Azure staged blocks, GCS composed parts),
	// so the service, not one connection, sets the pace. Like Create it never replaces an object
	// (ErrExists); on an error, or when ctx ends, the object does not exist and no part is left behind
	// that the service keeps (best effort). It returns the bytes stored.
	CreateParallel(ctx context.Context, key string, body io.Reader, opts PutOptions, jobs int) (int64, error)
	// Delete removes the object; deleting a missing object is not an error. Used by `check` to clean up
	// its probe and to remove a .partial once the full segment is archived.
	Delete(ctx context.Context, key string) error
}
