package gcsstore

import (
	"errors"
	"fmt"
	"net/http"

	"cloud.google.com/go/auth"
	"cloud.google.com/go/storage"
	"golang.org/x/oauth2"
	"google.golang.org/api/googleapi"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/store"
)

// listErr turns a 404 from listing into ErrBucketNotExist: only the bucket can be missing there.
func listErr(err error) error {
	var gerr *googleapi.Error
	if !errors.Is(err, storage.ErrBucketNotExist) && errors.As(err, &gerr) && gerr.Code == http.StatusNotFound {
		return fmt.Errorf("%w: %w", storage.ErrBucketNotExist, err)
	}
	return err
}

func classify(op string, err error) (sentinel error, hint string) {
	switch {
	case errors.Is(err, storage.ErrBucketNotExist):
		return store.ErrBucketNotFound, ""
	case errors.Is(err, storage.ErrObjectNotExist):
		return store.ErrNotFound, ""
	}
	var gerr *googleapi.Error
	if errors.As(err, &gerr) {
		switch gerr.Code {
		case http.StatusPreconditionFailed:
			return store.ErrExists, ""
		case http.StatusNotFound:
			if op == "create" || op == "put" {
				// An upload cannot miss its object; it misses the bucket.
				return store.ErrBucketNotFound, ""
			}
			return store.ErrNotFound, ""
		case http.StatusUnauthorized:
			return store.ErrAuthentication, "the credentials were rejected"
		case http.StatusForbidden:
			return store.ErrPermission, ""
		}
	}
	var authErr *auth.Error
	var oauthErr *oauth2.RetrieveError
	if errors.As(err, &authErr) || errors.As(err, &oauthErr) {
		return store.ErrAuthentication, "no access token could be obtained for the credentials"
	}
	return nil, ""
}

func (s *Store) name(key string) string { return "gs://" + s.cfg.Bucket + "/" + key }

// mapErr wraps err so that errors.Is finds the store sentinel while the message keeps the library's detail.
func (s *Store) mapErr(op, key string, err error) error {
	if err == nil {
		return nil
	}
	sentinel, hint := classify(op, err)
	switch {
	case sentinel == store.ErrBucketNotFound:
		return fmt.Errorf("gcs %s %s: %w: %q: %w", op, s.name(key), sentinel, s.cfg.Bucket, err)
	case sentinel != nil && hint != "":
		return fmt.Errorf("gcs %s %s: %w: %s: %w", op, s.name(key), sentinel, hint, err)
	case sentinel != nil:
		return fmt.Errorf("gcs %s %s: %w: %w", op, s.name(key), sentinel, err)
	}
	return fmt.Errorf("gcs %s %s: %w", op, s.name(key), err)
}
