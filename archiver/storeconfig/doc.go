// Package storeconfig turns a destinationPath and wal-archiver's settings into a store driver and the key
// prefix under it, parsing the path exactly as barman-cloud does.
package storeconfig
