package admission

import (
	"encoding/base64"
	"encoding/json"
	"slices"

	admissionv1 "k8s.io/api/admission/v1"
)

// marshalReview is json.Marshal of a review carrying only a response, byte for byte, without reflection
// for the answers of almost every review: an allow, with or without a patch and warnings. A response with
// a status or audit annotations goes through json.Marshal. FuzzEncodeReview holds the two to the same bytes.
func marshalReview(out *admissionv1.AdmissionReview) ([]byte, error) {
	return appendReview(nil, out)
}

// appendReview is marshalReview appending to b, so that the server can reuse its buffers.
func appendReview(b []byte, out *admissionv1.AdmissionReview) ([]byte, error) {
	resp := out.Response
	if out.Request != nil || resp == nil || resp.Result != nil || resp.AuditAnnotations != nil {
		j, err := json.Marshal(out)
		if err != nil {
			return nil, err
		}
		return append(b, j...), nil
	}
	n := 192 + len(out.Kind) + len(out.APIVersion) + len(resp.UID) + base64.StdEncoding.EncodedLen(len(resp.Patch))
	for _, w := range resp.Warnings {
		n += len(w) + 3
	}
	b = slices.Grow(b, n)
	b = append(b, '{')
	comma := false
	if out.Kind != "" {
		b = append(b, `"kind":`...)
		b = AppendJSONString(b, out.Kind)
		comma = true
	}
	if out.APIVersion != "" {
		if comma {
			b = append(b, ',')
		}
		b = append(b, `"apiVersion":`...)
		b = AppendJSONString(b, out.APIVersion)
		comma = true
	}
	if comma {
		b = append(b, ',')
	}
	b = append(b, `"response":{"uid":`...)
	b = AppendJSONString(b, string(resp.UID))
	if resp.Allowed {
		b = append(b, `,"allowed":true`...)
	} else {
		b = append(b, `,"allowed":false`...)
	}
	if len(resp.Patch) > 0 {
		b = append(b, `,"patch":"`...)
		b = base64.StdEncoding.AppendEncode(b, resp.Patch)
		b = append(b, '"')
	}
	if resp.PatchType != nil {
		b = append(b, `,"patchType":`...)
		b = AppendJSONString(b, string(*resp.PatchType))
	}
	if len(resp.Warnings) > 0 {
		b = append(b, `,"warnings":[`...)
		for i, w := range resp.Warnings {
			if i > 0 {
				b = append(b, ',')
			}
			b = AppendJSONString(b, w)
		}
		b = append(b, ']')
	}
	return append(b, "}}"...), nil
}

// AppendJSONString writes s as encoding/json does: strings of printable ASCII that needs no escaping
// (HTML characters included, which encoding/json escapes) are copied; others are left to encoding/json.
// FuzzEncodeReview holds it to json.Marshal.
func AppendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always marshals
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
