// Package storetest is the conformance suite every store.Store driver runs against its real service.
package storetest
