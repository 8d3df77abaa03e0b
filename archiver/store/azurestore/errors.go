package azurestore

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/store"
)

// classify maps an Azure error to the store's sentinel from the service's error code (sent as a header,
// so HEAD responses have it too), then from the status code.
func classify(err error) (sentinel error, hint string) {
	switch {
	case bloberror.HasCode(err, bloberror.BlobAlreadyExists, bloberror.ConditionNotMet):
		return store.ErrExists, ""
	case bloberror.HasCode(err, bloberror.BlobNotFound):
		return store.ErrNotFound, ""
	case bloberror.HasCode(err, bloberror.ContainerNotFound, bloberror.ContainerBeingDeleted):
		return store.ErrBucketNotFound, ""
	case bloberror.HasCode(err, bloberror.AuthenticationFailed),
		// Azurite answers a bad signature with this code and the service's AuthenticationFailed text.
		bloberror.HasCode(err, bloberror.AuthorizationFailure) && strings.Contains(err.Error(), "failed to authenticate"):
		return store.ErrAuthentication, "the account key, SAS token or token was rejected"
	case bloberror.HasCode(err, bloberror.AuthorizationFailure, bloberror.AuthorizationPermissionMismatch,
		bloberror.InsufficientAccountPermissions, bloberror.AuthorizationResourceTypeMismatch,
		bloberror.AuthorizationServiceMismatch, bloberror.AuthorizationProtocolMismatch,
		bloberror.AuthorizationSourceIPMismatch):
		return store.ErrPermission, ""
	}
	var authErr *azidentity.AuthenticationFailedError
	if errors.As(err, &authErr) {
		return store.ErrAuthentication, "Microsoft Entra ID refused the identity"
	}
	var respErr *azcore.ResponseError
	if errors.As(err, &respErr) {
		switch respErr.StatusCode {
		case http.StatusNotFound:
			return store.ErrNotFound, ""
		case http.StatusConflict, http.StatusPreconditionFailed:
			return store.ErrExists, ""
		case http.StatusForbidden:
			return store.ErrPermission, "access denied: wrong credentials or a missing role assignment"
		}
	}
	return nil, ""
}

// compactError prints an Azure response error on one line (the SDK's spans a dozen, with the whole body)
// and still unwraps to it for errors.As.
type compactError struct {
	msg string
	err error
}

func (e compactError) Error() string { return e.msg }
func (e compactError) Unwrap() error { return e.err }

func compact(err error) error {
	var respErr *azcore.ResponseError
	if !errors.As(err, &respErr) {
		return err
	}
	msg := fmt.Sprintf("HTTP %d", respErr.StatusCode)
	if respErr.ErrorCode != "" {
		msg += " " + respErr.ErrorCode
	}
	if r := respErr.RawResponse; r != nil && r.Request != nil {
		msg = r.Request.Method + " " + r.Request.URL.Scheme + "://" + r.Request.URL.Host + r.Request.URL.Path + ": " + msg
	}
	return compactError{msg: msg, err: err}
}

func (s *Store) name(key string) string { return s.URL() + "/" + key }

// mapErr wraps err so that errors.Is finds the store sentinel while the message keeps the SDK's detail.
func (s *Store) mapErr(op, key string, err error) error {
	if err == nil {
		return nil
	}
	sentinel, hint := classify(err)
	err = compact(err)
	switch {
	case sentinel == store.ErrBucketNotFound:
		return fmt.Errorf("azure %s %s: %w: container %q: %w", op, s.name(key), sentinel, s.cfg.Container, err)
	case sentinel != nil && hint != "":
		return fmt.Errorf("azure %s %s: %w: %s: %w", op, s.name(key), sentinel, hint, err)
	case sentinel != nil:
		return fmt.Errorf("azure %s %s: %w: %w", op, s.name(key), sentinel, err)
	}
	return fmt.Errorf("azure %s %s: %w", op, s.name(key), err)
}
