package imagebuild

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

// goEnv is the environment the Dockerfile's RUN lines get here: the machine's Go, with the shared build
// and module caches standing in for the cache mounts, so a replay recompiles nothing the checkout's own
// build already compiled. -mod=mod as in hack/tools: a go.sum written by another Go patch release is not
// what this test is about.
func goEnv(t *testing.T) []string {
	t.Helper()
	env := os.Environ()
	for _, v := range []string{"GOCACHE", "GOMODCACHE"} {
		out, err := exec.Command("go", "env", v).Output()
		if err != nil {
			t.Fatalf("go env %s: %v", v, err)
		}
		env = append(env, v+"="+strings.TrimSpace(string(out)))
	}
	return append(env, "GOFLAGS=-mod=mod", "GOWORK=off", "CGO_ENABLED=0")
}

// TestDockerfileBuildsFromItsContext is the image's build without a Docker engine: the repository's own
// .dockerignore decides what reaches the build stage, and the Dockerfile's own RUN lines build both
// binaries from it. A package excluded from the context fails here with Go's "no required module
// provides package".
func TestDockerfileBuildsFromItsContext(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	// No deadline of its own: a cold build cache takes minutes on two busy cores; go test's -timeout stops a hang.
	ctx := t.Context()
	var log strings.Builder
	res, err := Replay(ctx, Options{
		Root: root,
		Dir:  t.TempDir(),
		BuildArgs: map[string]string{
			"TARGETOS": runtime.GOOS, "TARGETARCH": runtime.GOARCH,
			"VERSION": "v0.0.0-replay", "COMMIT": "imagebuild",
		},
		Env:    goEnv(t),
		Output: &log,
	})
	if err != nil {
		t.Fatalf("the Dockerfile's build stage fails in the context .dockerignore leaves (a package it excludes shows as \"finding module for package\"): %v", err)
	}
	if len(res.Ran) == 0 || !strings.Contains(strings.Join(res.Ran, "\n"), "go build") {
		t.Fatalf("no go build was run; ran %q", res.Ran)
	}
	for _, f := range res.Context {
		if strings.HasPrefix(f, "bin/") || strings.HasPrefix(f, ".git/") || strings.HasSuffix(f, "_test.go") {
			t.Errorf("%s is in the build context; .dockerignore should keep it out", f)
		}
	}
	if len(res.Outputs) != 2 {
		t.Fatalf("outputs %q, want the two binaries the final stage copies", res.Outputs)
	}
	// The binaries carry the build arguments, so the ldflags of the Dockerfile's line were applied.
	for _, bin := range res.Outputs {
		out, err := exec.Command(bin, "version").CombinedOutput()
		want := filepath.Base(bin) + " v0.0.0-replay (imagebuild)"
		if err != nil || strings.TrimSpace(string(out)) != want {
			t.Errorf("%s version: %q, %v; want %q", bin, out, err, want)
		}
	}
}

// writeTree creates files (path -> content) under dir.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

const miniDockerfile = `# syntax=docker/dockerfile:1.7
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod ./
COPY . .
ARG TARGETOS=linux
RUN --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=${TARGETOS} \
    go build -trimpath -o /out/ ./cmd/mini
FROM scratch
COPY --from=build /out/mini /mini
`

const miniMain = `package main

import "example.com/mini/lib"

func main() { lib.Hello() }
`

func miniModule(t *testing.T, dockerignore string) string {
	t.Helper()
	root := t.TempDir()
	writeTree(t, root, map[string]string{
		"go.mod":           "module example.com/mini\n\ngo 1.26\n",
		"cmd/mini/main.go": miniMain,
		"lib/lib.go":       "package lib\n\nfunc Hello() {}\n",
		"Dockerfile":       miniDockerfile,
		".dockerignore":    dockerignore,
	})
	return root
}

// An import the context leaves out fails the replay, naming the package; the same module builds when
// .dockerignore lets it in.
func TestReplayFailsWhenTheContextLacksAnImport(t *testing.T) {
	ctx := t.Context()
	opts := func(root string) Options {
		return Options{Root: root, Dir: t.TempDir(), Env: goEnv(t),
			BuildArgs: map[string]string{"TARGETOS": runtime.GOOS}}
	}
	res, err := Replay(ctx, opts(miniModule(t, "Dockerfile\n")))
	if err != nil {
		t.Fatalf("the module builds with lib/ in the context: %v", err)
	}
	if len(res.Outputs) != 1 || filepath.Base(res.Outputs[0]) != "mini" {
		t.Errorf("outputs %q, want [.../out/mini]", res.Outputs)
	}
	_, err = Replay(ctx, opts(miniModule(t, "Dockerfile\nlib\n")))
	if err == nil {
		t.Fatal("the replay succeeded with lib/ excluded from the context")
	}
	for _, want := range []string{"Dockerfile line 7 (RUN)", "example.com/mini/lib"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not name %q:\n%v", want, err)
		}
	}
}

// A COPY of a file the context lacks fails as Docker's does, before anything runs.
func TestReplayRefusesACopyOfAnExcludedFile(t *testing.T) {
	_, err := Replay(context.Background(), Options{Root: miniModule(t, "go.mod\n"), Dir: t.TempDir(), Env: goEnv(t)})
	if err == nil || !strings.Contains(err.Error(), "COPY go.mod: not in the build context") || !strings.Contains(err.Error(), ".dockerignore excludes it") {
		t.Fatalf("want a COPY error naming go.mod and .dockerignore, got %v", err)
	}
}

// The context follows Docker's rules: patterns anywhere (**), a later "!" bringing a file back out of
// an excluded directory, and a leading "/" meaning the root.
func TestContextFollowsDockerRules(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{
		"go.mod": "", "README.md": "", "docs/a.md": "", "a/b/testdata/x": "", "a/b/c.go": "",
		"a/b/c_test.go": "", "bin/tool": "", "keep/drop": "", "keep/me": "", "manifest/m.go": "", "manifests/x.yaml": "",
		".dockerignore": "# comment\n/bin\n**/testdata\n**/*_test.go\n*.md\nkeep\n!keep/me\nmanifests\n",
	})
	got, err := Context(root, filepath.Join(root, ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	// *.md matches at the root only; docs/a.md stays, as in Docker.
	want := []string{".dockerignore", "a/b/c.go", "docs/a.md", "go.mod", "keep/me", "manifest/m.go"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("context %q, want %q", got, want)
	}
	all, err := Context(root, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 12 {
		t.Errorf("without an ignore file the context has %d files, want all 12: %q", len(all), all)
	}
}

func TestIgnoreFilePrefersTheDockerfilesOwn(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{".dockerignore": "", "build/Dockerfile": "", "build/Dockerfile.dockerignore": ""})
	got, err := IgnoreFile(root, filepath.Join(root, "build", "Dockerfile"))
	if err != nil || got != filepath.Join(root, "build", "Dockerfile.dockerignore") {
		t.Errorf("IgnoreFile = %q, %v; want build/Dockerfile.dockerignore", got, err)
	}
	got, err = IgnoreFile(root, filepath.Join(root, "Dockerfile"))
	if err != nil || got != filepath.Join(root, ".dockerignore") {
		t.Errorf("IgnoreFile = %q, %v; want .dockerignore", got, err)
	}
}

func TestParseDockerfile(t *testing.T) {
	stages, err := ParseDockerfile(strings.NewReader(miniDockerfile))
	if err != nil {
		t.Fatal(err)
	}
	if len(stages) != 3 || stages[1].Name != "build" || stages[1].Base != "golang:1.26" || stages[2].Base != "scratch" {
		t.Fatalf("stages %+v", stages)
	}
	run := stages[1].Instructions[4]
	if run.Keyword != "RUN" || run.Line != 7 || !reflect.DeepEqual(run.Flags, []string{"--mount=type=cache,target=/root/.cache/go-build"}) {
		t.Errorf("RUN parsed as %+v", run)
	}
	if want := "CGO_ENABLED=0 GOOS=${TARGETOS}      go build -trimpath -o /out/ ./cmd/mini"; run.Args != want {
		t.Errorf("RUN args %q, want %q", run.Args, want)
	}
	for _, bad := range []string{"RUN echo hi\n", "FROM a b\n", "FROM a\nRUN <<EOF\necho\nEOF\n"} {
		if _, err := ParseDockerfile(strings.NewReader(bad)); err == nil {
			t.Errorf("ParseDockerfile(%q) accepted it", bad)
		}
	}
}

func TestPathMapper(t *testing.T) {
	m := pathMapper("/tmp/x", []string{"/src", "/out/a", "/out/b"})
	got := m(`go build -o /out/ ./cmd "-X=/src/v" /output /srcs /out`)
	want := `go build -o /tmp/x/out/ ./cmd "-X=/tmp/x/src/v" /output /srcs /tmp/x/out`
	if got != want {
		t.Errorf("mapped %q\nwant   %q", got, want)
	}
}
