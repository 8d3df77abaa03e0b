package s3store

import (
	"errors"
	"fmt"
	"net/http"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/store"
)

// classify maps an S3 error to the store's sentinel, from the error code when the response had a body
// and from the status code otherwise (HEAD responses carry no code).
func classify(err error) (sentinel error, hint string) {
	// First: a refusing credentials endpoint answers with API errors of its own (AccessDenied, …) that
	// are not the bucket's.
	var credErr *CredentialsError
	if errors.As(err, &credErr) {
		return store.ErrAuthentication, "no credentials from " + credErr.Source
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode() {
		case "NoSuchKey", "NotFound":
			return store.ErrNotFound, ""
		case "PreconditionFailed":
			return store.ErrExists, ""
		case "ConditionalRequestConflict":
			// A concurrent conditional write to the same key is in flight; it won.
			return store.ErrExists, "a concurrent write to the same key won"
		case "NoSuchBucket":
			return store.ErrBucketNotFound, ""
		case "InvalidAccessKeyId":
			return store.ErrAuthentication, "the access key ID is unknown to the service"
		case "SignatureDoesNotMatch":
			return store.ErrAuthentication, "the secret access key does not match the access key ID"
		case "ExpiredToken", "InvalidToken", "TokenRefreshRequired":
			return store.ErrAuthentication, "the session token is invalid or expired"
		case "AuthorizationHeaderMalformed", "PermanentRedirect":
			return nil, "the bucket may be in another region: set AWS_REGION to the bucket's region"
		case "AccessDenied", "AllAccessDisabled", "AccountProblem":
			return store.ErrPermission, ""
		}
	}
	var respErr *awshttp.ResponseError
	if errors.As(err, &respErr) {
		switch respErr.HTTPStatusCode() {
		case http.StatusNotFound:
			return store.ErrNotFound, ""
		case http.StatusPreconditionFailed:
			return store.ErrExists, ""
		case http.StatusForbidden:
			return store.ErrPermission, "access denied: wrong credentials or a missing permission"
		}
	}
	return nil, ""
}

// signingRegion is the region requests are signed for now, without asking the service.
func (s *Store) signingRegion() string {
	if c := s.client.Load(); c != nil {
		return c.Options().Region
	}
	return ""
}

func (s *Store) name(key string) string { return "s3://" + s.cfg.Bucket + "/" + key }

// mapErr wraps err so that errors.Is finds the store sentinel while the message keeps the SDK's detail.
func (s *Store) mapErr(op, key string, err error) error {
	if err == nil {
		return nil
	}
	sentinel, hint := classify(err)
	switch {
	case sentinel == store.ErrBucketNotFound:
		return fmt.Errorf("s3 %s %s: %w: %q (region %s): %w", op, s.name(key), sentinel, s.cfg.Bucket, s.signingRegion(), err)
	case sentinel != nil && hint != "":
		return fmt.Errorf("s3 %s %s: %w: %s: %w", op, s.name(key), sentinel, hint, err)
	case sentinel != nil:
		return fmt.Errorf("s3 %s %s: %w: %w", op, s.name(key), sentinel, err)
	case hint != "":
		return fmt.Errorf("s3 %s %s: %s: %w", op, s.name(key), hint, err)
	}
	return fmt.Errorf("s3 %s %s: %w", op, s.name(key), err)
}
