package admission

import (
	"fmt"
	"strings"

	kjson "sigs.k8s.io/json"
)

// unmarshal matches keys case-sensitively, as the API server does, so that "UID" cannot stand in for
// "uid"; unknown keys are ignored. sigs.k8s.io/json is encoding/json with that one change, maintained by
// Kubernetes, which moved to it from json-iterator. json-iterator decodes a typed object about twice as
// fast, but it is unmaintained and allocates a string per key it skips (twice the allocations of a
// review when it decoded the envelope); the envelope has its own decoder instead (envelope.go).
func unmarshal(data []byte, v any) error {
	return kjson.UnmarshalCaseSensitivePreserveInts(data, v)
}

// jsonErrorText keeps a decoding error short: the position for a syntax error, else the decoder's words
// cut to a length that names the field without quoting a large value back.
func jsonErrorText(err error) string {
	if ok, offset := kjson.SyntaxErrorOffset(err); ok {
		return fmt.Sprintf("invalid JSON at byte %d", offset)
	}
	msg := strings.TrimPrefix(err.Error(), "json: ")
	const max = 200
	if len(msg) > max {
		msg = msg[:max] + "…"
	}
	return msg
}
