// Package version holds the build's version, stamped by the linker (-X) from the Makefile and Dockerfile.
package version
