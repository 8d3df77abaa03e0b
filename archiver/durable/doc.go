// Package durable writes files that survive a crash whole or not at all: data is fsynced before the
// file takes its name, and the directory after.
package durable
