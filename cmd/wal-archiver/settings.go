package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/go-logr/logr"
	"github.com/go-logr/zapr"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/livesettings"
	"github.com/objectstore-webhook/objectstore-webhook/internal/contract"
)

// settings are the contract's settings registered on a flag set, looked up through livesettings: the flag
// wins, then the settings file, the credentials directory, the environment variable, the default.
type settings struct {
	fs     *flag.FlagSet
	values map[string]*string
	set    map[string]bool
	source *livesettings.Source
	snap   *livesettings.Snapshot
}

func newSettings(name string, stderr io.Writer) *settings {
	fs := flag.NewFlagSet("wal-archiver "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	s := &settings{fs: fs, values: map[string]*string{}, set: map[string]bool{}}
	for _, st := range contract.Settings() {
		s.values[st.Flag] = fs.String(st.Flag, "", st.Help+" (env "+st.Env+")")
	}
	return s
}

func (s *settings) parse(args []string) error {
	if err := s.fs.Parse(args); err != nil {
		return err
	}
	s.fs.Visit(func(f *flag.Flag) { s.set[f.Name] = true })
	flags := map[string]string{}
	for _, st := range contract.Settings() {
		if s.set[st.Flag] {
			flags[st.Env] = *s.values[st.Flag]
		}
	}
	s.source = &livesettings.Source{Flags: flags, FingerprintFiles: livesettings.DefaultFingerprintFiles}
	s.snap = s.source.Load()
	return nil
}

// get returns the setting's value: flag, settings file, environment, or def.
func (s *settings) get(st contract.Setting, def string) string { return s.snap.Get(st, def) }

// getenv reads a variable (a contract setting or an SDK's standard variable) through the same precedence.
func (s *settings) getenv(name string) string { return s.snap.Getenv(name) }

// tags parses a JSON object of tags; values must be strings.
func (s *settings) tags(st contract.Setting) (map[string]string, error) {
	v := s.get(st, "")
	if v == "" {
		return nil, nil
	}
	var m map[string]string
	if err := json.Unmarshal([]byte(v), &m); err != nil {
		return nil, fmt.Errorf("--%s (%s) must be a JSON object of strings, e.g. {\"team\":\"db\"}: %v", st.Flag, st.Env, err)
	}
	return m, nil
}

// newLogger logs JSON to stderr at the given level (error, warning, info, debug, trace).
func newLogger(level string) (logr.Logger, error) {
	levels := map[string]zapcore.Level{"error": zapcore.ErrorLevel, "warning": zapcore.WarnLevel, "info": zapcore.InfoLevel,
		"debug": zapcore.DebugLevel, "trace": zapcore.Level(-2)}
	l, ok := levels[strings.ToLower(level)]
	if !ok {
		return logr.Discard(), fmt.Errorf("log level %q: use error, warning, info, debug or trace", level)
	}
	cfg := zap.NewProductionConfig()
	cfg.Level = zap.NewAtomicLevelAt(l)
	cfg.Sampling = nil
	// An error here is an operational condition its message describes (a refused connection, a store
	// down); a Go stack trace under each would bury it for the person reading the pod's log.
	cfg.DisableStacktrace = true
	cfg.EncoderConfig.TimeKey = "ts"
	cfg.EncoderConfig.EncodeTime = zapcore.ISO8601TimeEncoder
	z, err := cfg.Build()
	if err != nil {
		return logr.Discard(), err
	}
	return zapr.NewLogger(z), nil
}
