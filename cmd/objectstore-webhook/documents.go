package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/objectstore-webhook/objectstore-webhook/internal/docreader"
)

// pathList is a repeatable -f.
type pathList []string

func (p *pathList) String() string     { return strings.Join(*p, ",") }
func (p *pathList) Set(s string) error { *p = append(*p, s); return nil }

// documentsCommand is what the offline commands (validate, inject) share: the flags naming their input
// documents, usage errors in one form, and reading the documents.
type documentsCommand struct {
	name      string
	fs        *flag.FlagSet
	paths     pathList
	namespace *string
	stderr    io.Writer
}

func newDocumentsCommand(name, usage string, stderr io.Writer) *documentsCommand {
	c := &documentsCommand{name: name, fs: flag.NewFlagSet(name, flag.ContinueOnError), stderr: stderr}
	c.fs.SetOutput(stderr)
	c.fs.Usage = func() { fmt.Fprint(stderr, usage); c.fs.PrintDefaults() }
	c.fs.Var(&c.paths, "f", "file, directory or - (stdin); repeatable")
	c.namespace = c.fs.String("namespace", "default", "namespace of the documents that name none")
	return c
}

// parse parses args; on false the command exits with code (0 for -h).
func (c *documentsCommand) parse(args []string) (code int, ok bool) {
	if err := c.fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0, false
		}
		return 2, false
	}
	return 0, true
}

func (c *documentsCommand) usageError(msg string) int {
	fmt.Fprintln(c.stderr, c.name+": "+msg)
	fmt.Fprintf(c.stderr, "Run 'objectstore-webhook %s -h' for usage.\n", c.name)
	return 2
}

// inputError is why the inputs named cannot be read, or "".
func (c *documentsCommand) inputError() string {
	switch {
	case c.fs.NArg() > 0:
		return "unexpected argument " + strconv.Quote(c.fs.Arg(0)) + "; name inputs with -f"
	case len(c.paths) == 0:
		return "no input; name files, directories or - with -f"
	case *c.namespace == "":
		return "--namespace must not be empty"
	}
	return ""
}

// read reads every input document; on false the command exits with status 2, the error printed.
func (c *documentsCommand) read(stdin io.Reader) ([]docreader.Document, bool) {
	docs, err := docreader.Read(c.paths, stdin)
	if err != nil {
		c.fail(err)
		return nil, false
	}
	return docs, true
}

func (c *documentsCommand) fail(err error) int {
	fmt.Fprintln(c.stderr, c.name+": "+err.Error())
	return 2
}
