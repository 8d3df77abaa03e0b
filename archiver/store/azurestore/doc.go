// Package azurestore is the store.Store driver for Azure Blob Storage (and the Azurite emulator).
package azurestore
