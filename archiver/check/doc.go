// Package check proves a store is usable before archiving starts: reach it, write, list, read and delete a
// probe under the prefix, and say in plain words what is wrong when a step fails.
package check
