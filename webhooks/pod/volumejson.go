package pod

import (
	"strconv"

	corev1 "k8s.io/api/core/v1"
)

// appendVolume writes v as json.Marshal does, byte for byte: the sidecar's volumes (an empty emptyDir,
// secrets, configMaps, projected ServiceAccount tokens and Secrets) by hand, any other through json.Marshal. TestVolumeJSON holds
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
		b = appendItems(b, start, sec.Items)
		if sec.DefaultMode != nil {
			b = appendComma(b, start)
			b = append(b, `"defaultMode":`...)
			b = strconv.AppendInt(b, int64(*sec.DefaultMode), 10)
		}
		b = appendBoolPtr(b, start, `"optional":`, sec.Optional)
		return append(b, "}}"...), nil
	case *src == corev1.VolumeSource{ConfigMap: src.ConfigMap} && src.ConfigMap != nil &&
		src.ConfigMap.DefaultUser == nil && plainItems(src.ConfigMap.Items):
		cm := src.ConfigMap
		b = append(b, `{"name":`...)
		b = appendString(b, v.Name)
		b = append(b, `,"configMap":{`...)
		start := len(b)
		if cm.Name != "" {
			b = append(b, `"name":`...)
			b = appendString(b, cm.Name)
		}
		b = appendItems(b, start, cm.Items)
		if cm.DefaultMode != nil {
			b = appendComma(b, start)
			b = append(b, `"defaultMode":`...)
			b = strconv.AppendInt(b, int64(*cm.DefaultMode), 10)
		}
		b = appendBoolPtr(b, start, `"optional":`, cm.Optional)
		return append(b, "}}"...), nil
	case *src == corev1.VolumeSource{Projected: src.Projected} && src.Projected != nil && plainProjected(src.Projected):
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
				if sec := src.Projected.Sources[i].Secret; sec != nil {
					b = append(b, `{"secret":{`...)
					start := len(b)
					if sec.Name != "" {
						b = append(b, `"name":`...)
						b = appendString(b, sec.Name)
					}
					b = appendItems(b, start, sec.Items)
					b = appendBoolPtr(b, start, `"optional":`, sec.Optional)
					b = append(b, "}}"...)
					continue
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

// appendItems writes the items of a secret or configMap, which have no user (plainItems).
func appendItems(b []byte, start int, items []corev1.KeyToPath) []byte {
	if len(items) == 0 {
		return b
	}
	b = appendComma(b, start)
	b = append(b, `"items":[`...)
	for i, it := range items {
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
	return append(b, ']')
}

func plainItems(items []corev1.KeyToPath) bool {
	for i := range items {
		if items[i].User != nil {
			return false
		}
	}
	return true
}

func plainSecret(s *corev1.SecretVolumeSource) bool {
	return s.DefaultUser == nil && plainItems(s.Items)
}

// plainProjected: every source is either a ServiceAccount token or a Secret (the sidecar's two kinds),
// without users.
func plainProjected(p *corev1.ProjectedVolumeSource) bool {
	if p.DefaultUser != nil {
		return false
	}
	for i := range p.Sources {
		src := &p.Sources[i]
		switch {
		case src.Secret != nil && *src == (corev1.VolumeProjection{Secret: src.Secret}):
			if !plainItems(src.Secret.Items) {
				return false
			}
		case src.ServiceAccountToken != nil && *src == (corev1.VolumeProjection{ServiceAccountToken: src.ServiceAccountToken}):
			if src.ServiceAccountToken.User != nil {
				return false
			}
		default:
			return false
		}
	}
	return true
}
