package imagebuild

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// Options say what to replay and where.
type Options struct {
	Root       string            // the build context's directory (the checkout)
	Dockerfile string            // default Root/Dockerfile
	Dir        string            // an empty directory that stands for the build stage's file system root
	BuildArgs  map[string]string // --build-arg values, and the platform ARGs BuildKit fills in (TARGETARCH)
	Env        []string          // the environment RUN lines start from: PATH, GOCACHE, GOMODCACHE, ...
	Output     io.Writer         // where RUN lines write; nil discards
}

// Result is what a replay did.
type Result struct {
	Stage   string   // the build stage replayed
	Context []string // the build context's files
	Ran     []string // the RUN commands, as run
	Outputs []string // what the last stage copies out of the build stage, as paths under Dir
}

// Replay runs the stage the Dockerfile's last stage copies its files from, in opts.Dir: WORKDIR, ARG, ENV,
// COPY from the build context that .dockerignore leaves, and RUN through /bin/sh -c, as Docker does. The
// stage's absolute directories (its WORKDIRs and what the last stage copies) are mapped under opts.Dir in
// the RUN lines; cache mounts are the caches opts.Env names. It fails when a COPY source is not in the
// context, a RUN exits non-zero, or a file the last stage copies was not made.
func Replay(ctx context.Context, opts Options) (*Result, error) {
	if opts.Dockerfile == "" {
		opts.Dockerfile = filepath.Join(opts.Root, "Dockerfile")
	}
	if opts.Output == nil {
		opts.Output = io.Discard
	}
	f, err := os.Open(opts.Dockerfile)
	if err != nil {
		return nil, err
	}
	stages, err := ParseDockerfile(f)
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", opts.Dockerfile, err)
	}
	build, outputs, err := buildStage(stages)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", opts.Dockerfile, err)
	}
	ignore, err := IgnoreFile(opts.Root, opts.Dockerfile)
	if err != nil {
		return nil, err
	}
	files, err := Context(opts.Root, ignore)
	if err != nil {
		return nil, err
	}
	r := &replay{opts: opts, ignore: ignore, context: files, workdir: "/", args: map[string]string{}}
	r.mapper = pathMapper(opts.Dir, append(stageDirs(build), outputs...))
	res := &Result{Stage: build.Name, Context: files}
	for _, in := range build.Instructions {
		if err := r.step(ctx, in, res); err != nil {
			return res, fmt.Errorf("%s line %d (%s): %w", filepath.Base(opts.Dockerfile), in.Line, in.Keyword, err)
		}
	}
	for _, out := range outputs {
		p := filepath.Join(opts.Dir, filepath.FromSlash(out))
		if _, err := os.Stat(p); err != nil {
			return res, fmt.Errorf("the last stage copies %s from stage %q, which did not make it: %w", out, build.Name, err)
		}
		res.Outputs = append(res.Outputs, p)
	}
	return res, nil
}

// buildStage finds the stage the last one copies from (COPY --from=NAME or index) and what it copies.
func buildStage(stages []Stage) (Stage, []string, error) {
	final := stages[len(stages)-1]
	var from string
	var outputs []string
	for _, in := range final.Instructions {
		v, ok := in.Flag("from")
		if in.Keyword != "COPY" || !ok {
			continue
		}
		if from != "" && v != from {
			return Stage{}, nil, fmt.Errorf("line %d: the last stage copies from %q and %q; only one build stage is replayed", in.Line, from, v)
		}
		from = v
		words := strings.Fields(in.Args)
		if len(words) < 2 {
			return Stage{}, nil, fmt.Errorf("line %d: COPY %q: want SRC... DEST", in.Line, in.Args)
		}
		outputs = append(outputs, words[:len(words)-1]...)
	}
	if from == "" {
		return Stage{}, nil, fmt.Errorf("the last stage copies nothing from an earlier stage (no COPY --from)")
	}
	for i, st := range stages[1:] {
		if st.Name == from || strconv.Itoa(i) == from {
			return st, outputs, nil
		}
	}
	return Stage{}, nil, fmt.Errorf("COPY --from=%s names no stage", from)
}

// stageDirs are the absolute directories a stage works in, to be mapped under the replay's directory.
func stageDirs(st Stage) []string {
	var dirs []string
	for _, in := range st.Instructions {
		if in.Keyword == "WORKDIR" && path.IsAbs(in.Args) {
			dirs = append(dirs, in.Args)
		}
	}
	return dirs
}

// pathMapper rewrites the top-level directories of paths (/src, /out) where they stand as words or after
// "=", so that "-o /out/" writes under dir instead of the host's /out.
func pathMapper(dir string, paths []string) func(string) string {
	seen := map[string]bool{}
	var res []*regexp.Regexp
	for _, p := range paths {
		top := "/" + strings.SplitN(strings.TrimPrefix(path.Clean(p), "/"), "/", 2)[0]
		if top == "/" || seen[top] {
			continue
		}
		seen[top] = true
		res = append(res, regexp.MustCompile(`(^|[\s="'])(`+regexp.QuoteMeta(top)+`)(/|$|[\s"'])`))
	}
	return func(s string) string {
		for _, re := range res {
			s = re.ReplaceAllString(s, "${1}"+strings.ReplaceAll(dir, "$", "$$")+"${2}${3}")
		}
		return s
	}
}

type replay struct {
	opts    Options
	ignore  string
	context []string
	workdir string
	args    map[string]string
	argList []string
	env     []string
	mapper  func(string) string
}

func (r *replay) host(p string) string { return filepath.Join(r.opts.Dir, filepath.FromSlash(p)) }

func (r *replay) abs(p string) string {
	if path.IsAbs(p) {
		return path.Clean(p)
	}
	return path.Join(r.workdir, p)
}

func (r *replay) step(ctx context.Context, in Instruction, res *Result) error {
	switch in.Keyword {
	case "WORKDIR":
		r.workdir = r.abs(in.Args)
		return os.MkdirAll(r.host(r.workdir), 0o755)
	case "ARG":
		for _, w := range strings.Fields(in.Args) {
			name, def, _ := strings.Cut(w, "=")
			v, ok := r.opts.BuildArgs[name]
			if !ok {
				v = def
			}
			r.args[name] = v
			r.argList = append(r.argList, name)
		}
		return nil
	case "ENV":
		for _, w := range strings.Fields(in.Args) {
			if !strings.Contains(w, "=") {
				return fmt.Errorf("ENV %q: only the KEY=VALUE form is replayed", in.Args)
			}
			r.env = append(r.env, w)
		}
		return nil
	case "LABEL":
		return nil
	case "COPY":
		return r.copy(in)
	case "RUN":
		return r.run(ctx, in, res)
	}
	return fmt.Errorf("%s is not replayed in the build stage; teach imagebuild what it does", in.Keyword)
}

func (r *replay) copy(in Instruction) error {
	for _, f := range in.Flags {
		if !strings.HasPrefix(f, "--link") && !strings.HasPrefix(f, "--chown=") && !strings.HasPrefix(f, "--chmod=") {
			return fmt.Errorf("COPY flag %s is not replayed", f)
		}
	}
	words := strings.Fields(in.Args)
	if len(words) < 2 || strings.HasPrefix(in.Args, "[") {
		return fmt.Errorf("COPY %q: want SRC... DEST", in.Args)
	}
	srcs, dest := words[:len(words)-1], words[len(words)-1]
	toDir := strings.HasSuffix(dest, "/") || dest == "." || len(srcs) > 1
	dest = r.abs(dest)
	for _, src := range srcs {
		if strings.ContainsAny(src, "*?[") {
			return fmt.Errorf("COPY source %q: wildcards are not replayed", src)
		}
		s := strings.TrimPrefix(path.Clean("/"+src), "/")
		n := 0
		for _, file := range r.context {
			var target string
			switch {
			case s == "":
				target = path.Join(dest, file)
			case file == s:
				target = dest
				if toDir {
					target = path.Join(dest, path.Base(file))
				}
			case strings.HasPrefix(file, s+"/"):
				target = path.Join(dest, strings.TrimPrefix(file, s+"/"))
			default:
				continue
			}
			if err := copyFile(filepath.Join(r.opts.Root, filepath.FromSlash(file)), r.host(target)); err != nil {
				return err
			}
			n++
		}
		if n == 0 {
			why := "it does not exist"
			if r.ignore != "" {
				why = "it does not exist or " + filepath.Base(r.ignore) + " excludes it"
			}
			return fmt.Errorf("COPY %s: not in the build context: %s", src, why)
		}
	}
	return nil
}

func copyFile(from, to string) error {
	fi, err := os.Lstat(from)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		return err
	}
	if fi.Mode()&os.ModeSymlink != 0 {
		link, err := os.Readlink(from)
		if err != nil {
			return err
		}
		return os.Symlink(link, to)
	}
	data, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, data, fi.Mode().Perm())
}

func (r *replay) run(ctx context.Context, in Instruction, res *Result) error {
	for _, f := range in.Flags {
		if !strings.HasPrefix(f, "--mount=type=cache,") {
			return fmt.Errorf("RUN flag %s is not replayed (cache mounts are: they are the caches of the environment)", f)
		}
	}
	if strings.HasPrefix(in.Args, "[") {
		return fmt.Errorf("RUN in exec form is not replayed")
	}
	cmdline := r.mapper(in.Args)
	res.Ran = append(res.Ran, cmdline)
	env := append([]string(nil), r.opts.Env...)
	for _, name := range r.argList {
		env = append(env, name+"="+r.args[name])
	}
	env = append(env, r.env...)
	var out bytes.Buffer
	// Docker's default SHELL for the shell form.
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", cmdline)
	cmd.Dir = r.host(r.workdir)
	cmd.Env = env
	cmd.Stdout = io.MultiWriter(&out, r.opts.Output)
	cmd.Stderr = cmd.Stdout
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w\n%s", cmdline, err, tail(out.String(), 4096))
	}
	return nil
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}
