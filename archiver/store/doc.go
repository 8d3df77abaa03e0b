// Package store is the small interface every object-store driver (S3, Azure Blob, Google Cloud Storage)
// implements, and the errors they share.
package store
