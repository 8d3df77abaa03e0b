// Package gcsstore is the store.Store driver for Google Cloud Storage (and fake-gcs-server).
package gcsstore
