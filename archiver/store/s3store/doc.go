// Package s3store is the store.Store driver for Amazon S3 and S3-compatible services (MinIO, Ceph, …).
package s3store
