package storeconfig

import "github.com/objectstore-webhook/objectstore-webhook/internal/location"

// The destinationPath grammar is package location's, shared with the ObjectStore rules so that what the
// webhook admits is what wal-archiver opens.

// Location is a parsed destinationPath.
type Location = location.Location

// Providers, as contract.Provider spells them.
const (
	ProviderS3     = location.ProviderS3
	ProviderAzure  = location.ProviderAzure
	ProviderGoogle = location.ProviderGoogle
)

// ParseDestination parses a destinationPath; see location.Parse.
func ParseDestination(destination, provider string) (Location, error) {
	return location.Parse(destination, provider)
}
