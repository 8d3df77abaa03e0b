package layout

import (
	"fmt"
	"strings"
)

// Layout places WAL objects as barman-cloud-wal-archive does:
// <Prefix>/<ServerName>/wals/<hash dir>/<name><compression extension>, with .history files directly under wals/.
type Layout struct {
	// Prefix is the path part of the destinationPath inside the bucket or container, without leading or
	// trailing slashes; it may be empty.
	Prefix     string
	ServerName string
}

// New checks the server name: it becomes one path element of every key.
func New(prefix, serverName string) (Layout, error) {
	if serverName == "" || strings.Contains(serverName, "/") || serverName == "." || serverName == ".." {
		return Layout{}, fmt.Errorf("server name %q cannot be a single path element; use the cluster's name, e.g. \"pg-main\"", serverName)
	}
	return Layout{Prefix: strings.Trim(prefix, "/"), ServerName: serverName}, nil
}

// WALPrefix is the key prefix of everything under wals/, ending in a slash.
func (l Layout) WALPrefix() string {
	if l.Prefix == "" {
		return l.ServerName + "/wals/"
	}
	return l.Prefix + "/" + l.ServerName + "/wals/"
}

// Key is the object key of name compressed with the codec whose extension is ext ("" for none).
func (l Layout) Key(n Name, ext string) string {
	if dir := n.HashDir(); dir != "" {
		return l.WALPrefix() + dir + "/" + n.String() + ext
	}
	return l.WALPrefix() + n.String() + ext
}

// ListPrefix is the key prefix that finds every compressed variant of name with a single List call, the
// way barman-cloud-wal-restore looks a file up.
func (l Layout) ListPrefix(n Name) string { return l.Key(n, "") }

// ParseKey splits a key written by Key into the WAL name and the compression extension. exts are the
// extensions to recognise; a key outside the layout or with another suffix is an error.
func (l Layout) ParseKey(key string, exts []string) (Name, string, error) {
	rest, ok := strings.CutPrefix(key, l.WALPrefix())
	if !ok {
		return Name{}, "", fmt.Errorf("key %q is not under %q", key, l.WALPrefix())
	}
	dir, file, hasDir := strings.Cut(rest, "/")
	if !hasDir {
		file, dir = dir, ""
	}
	for _, ext := range append([]string{""}, exts...) {
		base, ok := strings.CutSuffix(file, ext)
		if !ok {
			continue
		}
		n, err := Parse(base)
		if err != nil {
			continue
		}
		if n.HashDir() != dir {
			return Name{}, "", fmt.Errorf("key %q: %s belongs in directory %q, not %q", key, n, n.HashDir(), dir)
		}
		// An empty directory ("wals//name") or any other spelling that Key would not write is a
		// different object from the one we would read back, so it is not ours to restore or list.
		if want := l.Key(n, ext); !strings.EqualFold(want, key) {
			return Name{}, "", fmt.Errorf("key %q is not where %s is archived (%q)", key, n, want)
		}
		return n, ext, nil
	}
	return Name{}, "", fmt.Errorf("key %q does not end in a WAL file name with a known compression extension", key)
}
