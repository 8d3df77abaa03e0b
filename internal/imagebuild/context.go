package imagebuild

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
)

// IgnoreFile returns the ignore file Docker reads for dockerfile in the context root: BuildKit prefers
// <Dockerfile>.dockerignore beside the Dockerfile, then .dockerignore at the root. Empty when neither exists.
func IgnoreFile(root, dockerfile string) (string, error) {
	for _, p := range []string{dockerfile + ".dockerignore", filepath.Join(root, ".dockerignore")} {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		} else if !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
	}
	return "", nil
}

// Context lists the files (slash-separated, relative to root) that Docker sends as the build context when
// ignoreFile's patterns apply: the same parser and matcher (github.com/moby/patternmatcher), and the
// same walk as BuildKit's, where a directory a pattern excludes is only entered again when a later "!"
// pattern may bring something back. An empty ignoreFile sends everything.
func Context(root, ignoreFile string) ([]string, error) {
	var patterns []string
	if ignoreFile != "" {
		f, err := os.Open(ignoreFile)
		if err != nil {
			return nil, err
		}
		patterns, err = ignorefile.ReadAll(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", ignoreFile, err)
		}
	}
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ignoreFile, err)
	}
	parents := map[string]patternmatcher.MatchInfo{}
	var files []string
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil || rel == "." {
			return err
		}
		rel = filepath.ToSlash(rel)
		excluded, info, err := pm.MatchesUsingParentResults(rel, parents[filepath.ToSlash(filepath.Dir(rel))])
		if err != nil {
			return fmt.Errorf("matching %s against %s: %w", rel, ignoreFile, err)
		}
		if d.IsDir() {
			if excluded && !mayReinclude(pm, rel) {
				return filepath.SkipDir
			}
			parents[rel] = info
			return nil
		}
		if !excluded {
			files = append(files, rel)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	return files, nil
}

// mayReinclude says whether a "!" pattern could bring back something below the excluded directory dir,
// so that the walk must enter it (bin/ holds thousands of files no pattern brings back).
func mayReinclude(pm *patternmatcher.PatternMatcher, dir string) bool {
	dirs := strings.Split(dir, "/")
	for _, p := range pm.Patterns() {
		if !p.Exclusion() {
			continue
		}
		comps := strings.Split(p.String(), "/")
		could := true
		for i, d := range dirs {
			if i >= len(comps) || comps[i] == "**" {
				break
			}
			if ok, _ := path.Match(comps[i], d); !ok {
				could = false
				break
			}
		}
		if could {
			return true
		}
	}
	return false
}
