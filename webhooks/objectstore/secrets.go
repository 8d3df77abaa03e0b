package objectstore

import (
	"crypto/x509"
	"encoding/pem"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	v1 "github.com/objectstore-webhook/objectstore-webhook/schema/barmancloud/v1"
)

// fetchedSecret remembers one Get: the Secret, or whether it is known to be absent.
type fetchedSecret struct {
	name     string
	secret   *corev1.Secret
	notFound bool
}

// refPart denies an empty or malformed name or key of a Secret reference; the messages are built only
// for a denial, so that a valid store costs no allocation.
func (v *validator) refPart(p *field.Path, child, value string, valid func(string) bool, required, what, invalid string) bool {
	switch {
	case value == "":
		v.deny(field.Required(p.Child(child), required+what))
	case !valid(value):
		v.deny(field.Invalid(p.Child(child), clip(value, maxValueInDenial), invalid))
	default:
		return true
	}
	return false
}

// optionalRef is secretRef for a reference that may be absent.
func (v *validator) optionalRef(p *field.Path, ref *v1.SecretKeySelector, what string) {
	if ref != nil {
		v.secretRef(p, ref, what)
	}
}

// secretRef checks a reference and, when the Secret is visible, that it exists and holds a non-empty key.
// It returns the key's bytes for content checks; they must never reach a message.
func (v *validator) secretRef(p *field.Path, ref *v1.SecretKeySelector, what string) ([]byte, bool) {
	ok := v.refPart(p, "name", ref.Name, isDNSSubdomain, "name the Secret that holds the ", what,
		"write a Secret name: lowercase letters, digits, '-' and '.', at most 253 characters")
	ok = v.refPart(p, "key", ref.Key, isSecretKey, "name the key of the Secret that holds the ", what,
		"write a Secret key: letters, digits, '-', '_' and '.'") && ok
	if !ok || v.secrets == nil {
		return nil, false
	}
	s, notFound := v.fetch(ref.Name)
	if notFound {
		v.secretFindingf(p.Child("name"), "Secret {} does not exist in this namespace", ref.Name)
		return nil, false
	}
	if s == nil {
		return nil, false
	}
	data, has := s.Data[ref.Key]
	if !has {
		if str, hasString := s.StringData[ref.Key]; hasString {
			data, has = []byte(str), true
		}
	}
	switch {
	case !has:
		v.secretFindingf(p.Child("key"), "Secret {} has no key {}", ref.Name, ref.Key)
		return nil, false
	case len(data) == 0:
		v.secretFindingf(p.Child("key"), "key {} of Secret {} is empty", ref.Key, ref.Name)
		return nil, false
	}
	return data, true
}

// fetch gets a Secret once per Validate call. A nil Secret without notFound means "cannot tell".
func (v *validator) fetch(name string) (*corev1.Secret, bool) {
	for i := 0; i < v.nfetched; i++ {
		if v.fetched[i].name == name {
			return v.fetched[i].secret, v.fetched[i].notFound
		}
	}
	s, err := v.secrets.Get(v.ctx, v.namespace, name)
	notFound := false
	if err != nil {
		s, notFound = nil, IsSecretNotFound(err)
	}
	if v.nfetched < len(v.fetched) {
		v.fetched[v.nfetched] = fetchedSecret{name: name, secret: s, notFound: notFound}
		v.nfetched++
	}
	return s, notFound
}

// checkCA checks that the endpointCA key holds PEM certificates that are valid now and not about to expire.
func (v *validator) checkCA(ref *v1.SecretKeySelector, data []byte) {
	p := pathEndpointCA.Child("key")
	now := v.now()
	certs := 0
	privateKey := false
	for n := 1; ; n++ {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		if strings.Contains(block.Type, "PRIVATE KEY") {
			privateKey = true
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		certs++
		nth := strconv.Itoa(certs)
		cert, err := x509.ParseCertificate(block.Bytes)
		switch {
		case err != nil:
			v.secretFindingf(p, "certificate "+nth+" in Secret {} does not parse as X.509", ref.Name)
		case now.After(cert.NotAfter):
			v.secretFindingf(p, "certificate "+nth+" in Secret {} expired on "+cert.NotAfter.UTC().Format("2006-01-02"), ref.Name)
		case now.Before(cert.NotBefore):
			v.secretFindingf(p, "certificate "+nth+" in Secret {} is not valid before "+cert.NotBefore.UTC().Format("2006-01-02"), ref.Name)
		case cert.NotAfter.Sub(now) < certExpiryWarning:
			v.warnf(p, "certificate "+nth+" in Secret {} expires on "+cert.NotAfter.UTC().Format("2006-01-02")+"; renew it", ref.Name)
		}
	}
	if certs == 0 {
		v.secretFindingf(p, "key {} of Secret {} holds no PEM certificate", ref.Key, ref.Name)
	}
	if privateKey {
		v.warnf(p, "Secret {} also holds a private key; a CA bundle needs only certificates", ref.Name)
	}
}

// format fills the {} of tmpl with the quoted values, clipped so that the message at path fits in
// MaxWarningLen: short values keep their length and the long ones share what is left.
func format(path, tmpl string, values ...string) string {
	room := MaxWarningLen - len(path) - 2 - len(tmpl) + 2*len(values)
	budget := make([]int, len(values))
	for left := len(values); left > 0; left-- {
		// Give the shortest value not yet served its length, or an equal share if it is longer.
		best := -1
		for i, val := range values {
			if budget[i] == 0 && (best < 0 || len(val) < len(values[best])) {
				best = i
			}
		}
		share := max(room/left, 5) // 5 holds a quoted "..."
		need := len(strconv.Quote(values[best]))
		budget[best] = min(need, share)
		room -= budget[best]
	}
	var b strings.Builder
	for i, val := range values {
		j := strings.Index(tmpl, "{}")
		if j < 0 {
			break
		}
		b.WriteString(tmpl[:j])
		b.WriteString(q(val, budget[i]))
		tmpl = tmpl[j+2:]
	}
	b.WriteString(tmpl)
	return b.String()
}

func (v *validator) warnf(p *field.Path, tmpl string, values ...string) {
	ps := p.String()
	v.warns = append(v.warns, ps+": "+format(ps, tmpl, values...))
}

// secretFindingf reports something learned from a Secret at the level SecretChecks asks for.
func (v *validator) secretFindingf(p *field.Path, tmpl string, values ...string) {
	if v.opts.SecretChecks == SecretChecksDeny {
		v.deny(field.Invalid(p, field.OmitValueType{}, format(p.String(), tmpl, values...)))
		return
	}
	v.warnf(p, tmpl, values...)
}
