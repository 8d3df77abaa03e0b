package docreader

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"sigs.k8s.io/yaml"
)

// Stdin is the File of documents read from standard input ("-" on the command line).
const Stdin = "<stdin>"

// maxListDepth bounds how deeply Lists inside Lists are flattened.
const maxListDepth = 8

// Document is one Kubernetes object of the input.
type Document struct {
	// File is the path the document was read from, or Stdin.
	File string
	// Index is the 1-based number of the document in its file, empty documents not counted.
	Index int
	// Item is the 1-based position in the List the object was flattened from; 0 when it was not in a List.
	Item int
	// Line is the line of the file where the document starts.
	Line int
	// JSON is the object as JSON.
	JSON []byte
	// The object's identity, as written (Namespace may be empty).
	APIVersion, Kind, Namespace, Name string
}

// Position is FILE:INDEX, or FILE:INDEX.ITEM for an object taken from a List.
func (d Document) Position() string {
	s := d.File + ":" + strconv.Itoa(d.Index)
	if d.Item > 0 {
		s += "." + strconv.Itoa(d.Item)
	}
	return s
}

// Error is a file that cannot be read or a document that is not a Kubernetes object.
type Error struct {
	File  string
	Index int // 0 when the whole file is concerned
	Line  int
	Err   error
}

func (e *Error) Error() string {
	switch {
	case e.Index == 0:
		return e.File + ": " + e.Err.Error()
	case e.Line > 0:
		return e.File + ":" + strconv.Itoa(e.Index) + " (line " + strconv.Itoa(e.Line) + "): " + e.Err.Error()
	}
	return e.File + ":" + strconv.Itoa(e.Index) + ": " + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// Read reads every path in order: a file whatever its name, a directory recursively (files ending in
// .yaml, .yml or .json, hidden entries skipped, in lexical order), "-" for stdin (once). The first
// unreadable input stops the read.
func Read(paths []string, stdin io.Reader) ([]Document, error) {
	var docs []Document
	stdinRead := false
	for _, p := range paths {
		if p == "-" {
			if stdinRead {
				return nil, &Error{File: Stdin, Err: errors.New("standard input given more than once")}
			}
			stdinRead = true
			if stdin == nil {
				return nil, &Error{File: Stdin, Err: errors.New("no standard input")}
			}
			data, err := io.ReadAll(stdin)
			if err != nil {
				return nil, &Error{File: Stdin, Err: err}
			}
			d, err := Parse(Stdin, data)
			if err != nil {
				return nil, err
			}
			docs = append(docs, d...)
			continue
		}
		files, err := expand(p)
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				return nil, &Error{File: f, Err: unwrapPath(err)}
			}
			d, err := Parse(f, data)
			if err != nil {
				return nil, err
			}
			docs = append(docs, d...)
		}
	}
	return docs, nil
}

// expand lists the manifest files of a path.
func expand(p string) ([]string, error) {
	info, err := os.Stat(p)
	if err != nil {
		return nil, &Error{File: p, Err: unwrapPath(err)}
	}
	if !info.IsDir() {
		return []string{p}, nil
	}
	var files []string
	err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return &Error{File: path, Err: unwrapPath(err)}
		}
		hidden := path != p && strings.HasPrefix(d.Name(), ".")
		switch {
		case d.IsDir() && hidden:
			return filepath.SkipDir
		case d.IsDir() || hidden:
			return nil
		}
		switch strings.ToLower(filepath.Ext(path)) {
		case ".yaml", ".yml", ".json":
			files = append(files, path)
		}
		return nil
	})
	return files, err
}

// unwrapPath drops the path an *fs.PathError repeats, since Error names the file already.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Parse splits data into documents: a stream of JSON values when it starts with '{', else YAML documents
// separated by "---" lines.
func Parse(file string, data []byte) ([]Document, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if trimmed := bytes.TrimLeft(data, " \t\r\n"); len(trimmed) > 0 && trimmed[0] == '{' {
		return parseJSON(file, data)
	}
	return parseYAML(file, data)
}

func parseJSON(file string, data []byte) ([]Document, error) {
	var docs []Document
	dec := json.NewDecoder(bytes.NewReader(data))
	for index := 1; ; index++ {
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if err == io.EOF {
			return docs, nil
		}
		if err != nil {
			return nil, &Error{File: file, Index: index, Err: err}
		}
		end := int(dec.InputOffset())
		line := 1 + bytes.Count(data[:end-len(raw)], []byte("\n"))
		d, err := objects(file, index, line, raw)
		if err != nil {
			return nil, err
		}
		docs = append(docs, d...)
	}
}

func parseYAML(file string, data []byte) ([]Document, error) {
	var docs []Document
	index := 0
	chunks, err := splitYAML(data)
	if err != nil {
		return nil, &Error{File: file, Index: len(chunks) + 1, Line: err.line, Err: err}
	}
	for _, chunk := range chunks {
		j, err := yaml.YAMLToJSON(chunk.text)
		if err != nil {
			return nil, &Error{File: file, Index: index + 1, Line: chunk.line, Err: err}
		}
		if bytes.Equal(j, []byte("null")) {
			continue // only comments or blank lines
		}
		index++
		d, err := objects(file, index, chunk.line, j)
		if err != nil {
			return nil, err
		}
		docs = append(docs, d...)
	}
	return docs, nil
}

type chunk struct {
	text []byte
	line int
}

// separatorError is a "---" line with content after it, which kubectl refuses too.
type separatorError struct{ line int }

func (e *separatorError) Error() string {
	return "invalid document separator: start the document on the line after \"---\""
}

// splitYAML cuts at lines that are "---", optionally followed by a comment, and at "..." lines. On error
// the chunks returned are those before the faulty separator.
func splitYAML(data []byte) ([]chunk, *separatorError) {
	var chunks []chunk
	start, startLine, line := 0, 1, 1
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, len(data)+1)
	sc.Split(scanLinesKeepEnd)
	pos := 0
	for sc.Scan() {
		l := sc.Bytes()
		trimmed := bytes.TrimRight(l, " \t\r\n")
		sep, bad := isSeparator(trimmed)
		if bad {
			return chunks, &separatorError{line: line}
		}
		if sep {
			chunks = append(chunks, chunk{data[start:pos], startLine})
			start, startLine = pos+len(l), line+1
		}
		pos += len(l)
		line++
	}
	return append(chunks, chunk{data[start:], startLine}), nil
}

// isSeparator tells whether a line ends a document, or is a "---" followed by content (bad).
func isSeparator(l []byte) (sep, bad bool) {
	if bytes.Equal(l, []byte("...")) {
		return true, false
	}
	rest, ok := bytes.CutPrefix(l, []byte("---"))
	if !ok {
		return false, false
	}
	rest = bytes.TrimLeft(rest, " \t")
	if len(rest) == 0 || rest[0] == '#' {
		return true, false
	}
	return false, true
}

func scanLinesKeepEnd(data []byte, atEOF bool) (int, []byte, error) {
	if i := bytes.IndexByte(data, '\n'); i >= 0 {
		return i + 1, data[:i+1], nil
	}
	if atEOF && len(data) > 0 {
		return len(data), data, nil
	}
	return 0, nil, nil
}

// header is what Document carries of every object.
type header struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	} `json:"metadata"`
}

// list is the part of a List kind that holds its objects.
type list struct {
	Items []json.RawMessage `json:"items"`
}

// objects turns one document into Documents, flattening Lists.
func objects(file string, index, line int, raw []byte) ([]Document, error) {
	var docs []Document
	var walk func(raw []byte, item, depth int) error
	walk = func(raw []byte, item, depth int) error {
		what := "document"
		if item > 0 {
			what = "List item " + strconv.Itoa(item)
		}
		var h header
		err := json.Unmarshal(raw, &h)
		if t := bytes.TrimSpace(raw); err == nil && (len(t) == 0 || t[0] != '{') {
			// null decodes into anything without an error; an empty List entry ("-") is one.
			err = fmt.Errorf("got %.20s", t)
		}
		if err != nil {
			return &Error{File: file, Index: index, Line: line, Err: fmt.Errorf("%s is not a Kubernetes object (a mapping with apiVersion and kind): %w", what, err)}
		}
		var l list
		if strings.HasSuffix(h.Kind, "List") && depth < maxListDepth && json.Unmarshal(raw, &l) == nil && l.Items != nil {
			for i, it := range l.Items {
				n := item
				if depth == 0 {
					n = i + 1
				}
				if err := walk(it, n, depth+1); err != nil {
					return err
				}
			}
			return nil
		}
		docs = append(docs, Document{
			File: file, Index: index, Item: item, Line: line, JSON: raw,
			APIVersion: h.APIVersion, Kind: h.Kind, Namespace: h.Metadata.Namespace, Name: h.Metadata.Name,
		})
		return nil
	}
	if err := walk(raw, 0, 0); err != nil {
		return nil, err
	}
	return docs, nil
}
