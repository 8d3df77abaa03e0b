package objectstore

import (
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"

	v1 "github.com/objectstore-webhook/objectstore-webhook/schema/barmancloud/v1"
)

// The rules the upstream CRD already enforces are repeated here so that the offline verdict is the
// cluster's, followed by the ones upstream misses (upstream.md §2.6).

var (
	walCompressions  = []string{"bzip2", "gzip", "lz4", "snappy", "xz", "zstd"}
	dataCompressions = []string{"bzip2", "gzip", "lz4", "snappy"}
	encryptions      = []string{"AES256", "aws:kms"}
	logLevels        = []string{"error", "warning", "info", "debug", "trace"}
)

const (
	msgServerName = "use the 'serverName' plugin parameter in the Cluster resource"
	msgLogLevel   = "do not set --log-level in additionalContainerArgs; use spec.instanceSidecarConfiguration.logLevel"
)

func (v *validator) upstream(o *v1.ObjectStore) {
	spec := &o.Spec
	cfg := &spec.Configuration
	if p := spec.RetentionPolicy; p != "" && !isRetentionPolicy(p) {
		v.deny(field.Invalid(pathRetention, clip(p, maxValueInDenial), "write a positive number followed by d, w or m (days, weeks, months), e.g. 30d"))
	}
	if cfg.ServerName != "" {
		v.deny(field.Forbidden(pathServerName, msgServerName))
	}
	if w := cfg.Wal; w != nil {
		v.enum(pathWalCompression, string(w.Compression), walCompressions)
		v.enum(pathWalEncryption, string(w.Encryption), encryptions)
		if w.MaxParallel != nil && *w.MaxParallel < 1 {
			v.deny(field.Invalid(pathWalMaxParallel, int64(*w.MaxParallel), "must be at least 1; omit it to archive one WAL file at a time"))
		}
		v.args(pathWalArchiveArgs, w.ArchiveAdditionalCommandArgs)
		v.args(pathWalRestoreArgs, w.RestoreAdditionalCommandArgs)
	}
	if d := cfg.Data; d != nil {
		v.enum(pathDataCompression, string(d.Compression), dataCompressions)
		v.enum(pathDataEncryption, string(d.Encryption), encryptions)
		if d.Jobs != nil && *d.Jobs < 1 {
			v.deny(field.Invalid(pathDataJobs, int64(*d.Jobs), "must be at least 1; omit it for the default of 2"))
		}
		v.args(pathDataArgs, d.AdditionalCommandArgs)
		v.args(pathDataRestoreArgs, d.RestoreAdditionalCommandArgs)
	}
	v.tags(pathTags, cfg.Tags)
	v.tags(pathHistoryTags, cfg.HistoryTags)

	sc := &spec.InstanceSidecarConfiguration
	v.enum(pathSidecarLogLevel, sc.LogLevel, logLevels)
	if sc.RetentionPolicyIntervalSeconds < 0 {
		v.deny(field.Invalid(pathSidecarInterval, int64(sc.RetentionPolicyIntervalSeconds), "must not be negative, which makes the retention loop spin; omit it for the default of 1800"))
	}
	for _, a := range sc.AdditionalContainerArgs {
		if strings.HasPrefix(a, "--log-level") {
			v.deny(field.Forbidden(pathSidecarArgs, msgLogLevel))
			break
		}
	}
	v.args(pathSidecarArgs, sc.AdditionalContainerArgs)
}

// isRetentionPolicy matches ^[1-9][0-9]*[dwm]$, the CRD's pattern.
func isRetentionPolicy(p string) bool {
	n := len(p)
	if n < 2 || p[0] < '1' || p[0] > '9' {
		return false
	}
	for i := 1; i < n-1; i++ {
		if !isDigit(p[i]) {
			return false
		}
	}
	u := p[n-1]
	return u == 'd' || u == 'w' || u == 'm'
}

func (v *validator) enum(p *field.Path, value string, valid []string) {
	if value != "" && !slices.Contains(valid, value) {
		v.deny(field.NotSupported(p, clip(value, maxNameInMessage), valid))
	}
}

// args checks additional command arguments. They are passed to exec without a shell, so "-e AES256" is one
// argument that barman's parser does not understand; a space after '=' is part of a value and fine.
func (v *validator) args(p *field.Path, args []string) {
	for i, a := range args {
		if len(a) < 2 || a[0] != '-' {
			continue
		}
		flag := a
		if j := strings.IndexByte(a, '='); j >= 0 {
			flag = a[:j]
		}
		if strings.ContainsAny(flag, " \t\n") {
			v.deny(field.Invalid(p.Index(i), clip(a, maxValueInDenial), "each element is one argument, run without a shell; put the flag and its value in separate elements"))
		}
	}
}

// tags checks tags for what breaks barman's CSV parsing of "key,value".
func (v *validator) tags(p *field.Path, tags map[string]string) {
	bad := false
	for k, val := range tags {
		if k == "" || !csvSafe(k) || !csvSafe(val) {
			bad = true
			break
		}
	}
	if !bad {
		return
	}
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		switch {
		case k == "":
			v.deny(field.Invalid(p.Key(""), field.OmitValueType{}, "a tag key must not be empty"))
		case !csvSafe(k) || !csvSafe(tags[k]):
			v.deny(field.Invalid(p.Key(pathKey(k)), field.OmitValueType{}, "barman reads tags as CSV key,value pairs; remove commas, quotes and line breaks"))
		}
	}
}

func csvSafe(s string) bool { return !strings.ContainsAny(s, ",\"\r\n") }
