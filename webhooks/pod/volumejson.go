package pod

import (
	"strconv"

	corev1 "k8s.io/api/core/v1"
)

// appendVolume writes v as json.Marshal does, byte for byte: the sidecar's volumes (an empty emptyDir,
// secrets, projected ServiceAccount tokens) by hand, any other through json.Marshal. TestVolumeJSON holds
// it to json.Marshal.
func appendVolume(b []byte, v *corev1.Volume) ([]byte, error) {
	src := &v.VolumeSource
	switch {
	case *src == corev1.VolumeSource{EmptyDir: src.EmptyDir} && src.EmptyDir != nil &&
		*src.EmptyDir == corev1.EmptyDirVolumeSource{}:
		b = append(b, `{"name":`...)
		b = appendString(b, v.Name)
		return append(b, `,"emptyDir":{}}`...), nil
	case *src == corev1.VolumeSource{Secret: src.Secret} && src.Secret != nil && plainSecret(src.Secret):
		sec := src.Secret
		b = append(b, `{"name":`...)
		b = appendString(b, v.Name)
		b = append(b, `,"secret":{`...)
		start := len(b)
		if sec.SecretName != "" {
			b = append(b, `"secretName":`...)
			b = appendString(b, sec.SecretName)
		}
		if len(sec.Items) > 0 {
			b = appendComma(b, start)
			b = append(b, `"items":[`...)
			for i, it := range sec.Items {
				if i > 0 {
					b = append(b, ',')
				}
				b = append(b, `{"key":`...)
				b = appendString(b, it.Key)
				b = append(b, `,"path":`...)
				b = appendString(b, it.Path)
				if it.Mode != nil {
					b = append(b, `,"mode":`...)
					b = strconv.AppendInt(b, int64(*it.Mode), 10)
				}
				b = append(b, '}')
			}
			b = append(b, ']')
		}
		if sec.DefaultMode != nil {
			b = appendComma(b, start)
			b = append(b, `"defaultMode":`...)
			b = strconv.AppendInt(b, int64(*sec.DefaultMode), 10)
		}
		b = appendBoolPtr(b, start, `"optional":`, sec.Optional)
		return append(b, "}}"...), nil
	case *src == corev1.VolumeSource{Projected: src.Projected} && src.Projected != nil && tokensOnly(src.Projected):
		b = append(b, `{"name":`...)
		b = appendString(b, v.Name)
		b = append(b, `,"projected":{"sources":`...)
		if src.Projected.Sources == nil {
			b = append(b, "null"...)
		} else {
			b = append(b, '[')
			for i := range src.Projected.Sources {
				if i > 0 {
					b = append(b, ',')
				}
				tok := src.Projected.Sources[i].ServiceAccountToken
				b = append(b, `{"serviceAccountToken":{`...)
				if tok.Audience != "" {
					b = append(b, `"audience":`...)
					b = appendString(b, tok.Audience)
					b = append(b, ',')
				}
				if tok.ExpirationSeconds != nil {
					b = append(b, `"expirationSeconds":`...)
					b = strconv.AppendInt(b, *tok.ExpirationSeconds, 10)
					b = append(b, ',')
				}
				b = append(b, `"path":`...)
				b = appendString(b, tok.Path)
				b = append(b, "}}"...)
			}
			b = append(b, ']')
		}
		if m := src.Projected.DefaultMode; m != nil {
			b = append(b, `,"defaultMode":`...)
			b = strconv.AppendInt(b, int64(*m), 10)
		}
		return append(b, "}}"...), nil
	}
	return appendMarshal(b, "", v)
}

func plainSecret(s *corev1.SecretVolumeSource) bool {
	if s.DefaultUser != nil {
		return false
	}
	for i := range s.Items {
		if s.Items[i].User != nil {
			return false
		}
	}
	return true
}

func tokensOnly(p *corev1.ProjectedVolumeSource) bool {
	if p.DefaultUser != nil {
		return false
	}
	for i := range p.Sources {
		tok := p.Sources[i].ServiceAccountToken
		if tok == nil || p.Sources[i] != (corev1.VolumeProjection{ServiceAccountToken: tok}) || tok.User != nil {
			return false
		}
	}
	return true
}
