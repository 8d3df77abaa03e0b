package imagebuild

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// Instruction is one Dockerfile instruction with its continuation lines joined.
type Instruction struct {
	Line    int      // where it starts, 1-based
	Keyword string   // upper case: FROM, COPY, RUN, ...
	Flags   []string // leading --name=value words, in order
	Args    string   // the rest, as written
}

// Flag returns the value of --name=value, or "" and false.
func (in Instruction) Flag(name string) (string, bool) {
	for _, f := range in.Flags {
		if v, ok := strings.CutPrefix(f, "--"+name+"="); ok {
			return v, true
		}
	}
	return "", false
}

// Stage is the instructions from one FROM to the next.
type Stage struct {
	Name         string // the AS name, or "" when unnamed
	Base         string // the image it starts from
	Instructions []Instruction
}

// ParseDockerfile splits a Dockerfile into stages, with Docker's rules for what this project's Dockerfile
// uses: comment lines (anywhere, also between continuation lines), "\" line continuations, and leading
// --flags. Instructions before the first FROM (global ARGs) are returned in the zero-th, unnamed stage
// whose Base is empty. Heredocs and a changed escape character are not understood and are refused.
func ParseDockerfile(r io.Reader) ([]Stage, error) {
	stages := []Stage{{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	var cur strings.Builder
	start, n := 0, 0
	flush := func() error {
		text := strings.TrimSpace(cur.String())
		cur.Reset()
		if text == "" {
			return nil
		}
		in, err := parseInstruction(start, text)
		if err != nil {
			return err
		}
		if in.Keyword == "FROM" {
			st, err := parseFrom(in)
			if err != nil {
				return err
			}
			stages = append(stages, st)
			return nil
		}
		last := &stages[len(stages)-1]
		last.Instructions = append(last.Instructions, in)
		return nil
	}
	for sc.Scan() {
		n++
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") {
			if strings.HasPrefix(strings.ToLower(strings.ReplaceAll(trimmed, " ", "")), "#escape=") && n <= 2 {
				return nil, fmt.Errorf("line %d: the escape directive is not supported here", n)
			}
			continue
		}
		if cur.Len() == 0 {
			if trimmed == "" {
				continue
			}
			start = n
		}
		if body, ok := strings.CutSuffix(strings.TrimRight(line, " \t"), `\`); ok {
			cur.WriteString(body)
			cur.WriteByte(' ')
			continue
		}
		cur.WriteString(line)
		if err := flush(); err != nil {
			return nil, err
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if err := flush(); err != nil {
		return nil, err
	}
	if len(stages) == 1 {
		return nil, fmt.Errorf("no FROM instruction")
	}
	return stages, nil
}

func parseInstruction(line int, text string) (Instruction, error) {
	kw, rest, _ := strings.Cut(text, " ")
	in := Instruction{Line: line, Keyword: strings.ToUpper(kw)}
	rest = strings.TrimSpace(rest)
	for strings.HasPrefix(rest, "--") {
		var f string
		f, rest, _ = strings.Cut(rest, " ")
		in.Flags = append(in.Flags, f)
		rest = strings.TrimSpace(rest)
	}
	if strings.Contains(rest, "<<") && (in.Keyword == "RUN" || in.Keyword == "COPY") {
		return in, fmt.Errorf("line %d: %s with a heredoc is not supported here", line, in.Keyword)
	}
	in.Args = rest
	return in, nil
}

func parseFrom(in Instruction) (Stage, error) {
	f := strings.Fields(in.Args)
	switch {
	case len(f) == 1:
		return Stage{Base: f[0]}, nil
	case len(f) == 3 && strings.EqualFold(f[1], "AS"):
		return Stage{Base: f[0], Name: f[2]}, nil
	}
	return Stage{}, fmt.Errorf("line %d: FROM %q: want IMAGE [AS NAME]", in.Line, in.Args)
}
