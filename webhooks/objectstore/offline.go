package objectstore

import (
	"context"
	"errors"

	corev1 "k8s.io/api/core/v1"
)

// ErrSecretNotVisible is what a SecretSet answers for a namespace it holds no Secret of: it cannot tell
// whether the Secret exists, so the checks are skipped.
var ErrSecretNotVisible = errors.New("secret not in the input set")

// SecretSet is the offline SecretGetter: the Secrets of a manifest set. A namespace is visible as soon as
// the set holds one Secret of it; the set is then taken as that namespace's complete list, so a reference
// to a Secret it lacks is reported as missing (a warning by default). Secrets kept outside the repository
// (sealed, external) are therefore best validated with their namespace absent or with secret checks off.
type SecretSet struct {
	byName     map[secretName]*corev1.Secret
	namespaces map[string]bool
}

type secretName struct{ namespace, name string }

// NewSecretSet indexes secrets; stringData is merged over data as the API server does on write. Secrets
// without a namespace are put in defaultNamespace.
func NewSecretSet(defaultNamespace string, secrets ...*corev1.Secret) *SecretSet {
	set := &SecretSet{byName: map[secretName]*corev1.Secret{}, namespaces: map[string]bool{}}
	for _, s := range secrets {
		s = s.DeepCopy()
		if s.Namespace == "" {
			s.Namespace = defaultNamespace
		}
		if len(s.StringData) > 0 {
			if s.Data == nil {
				s.Data = make(map[string][]byte, len(s.StringData))
			}
			for k, val := range s.StringData {
				s.Data[k] = []byte(val)
			}
			s.StringData = nil
		}
		set.byName[secretName{s.Namespace, s.Name}] = s
		set.namespaces[s.Namespace] = true
	}
	return set
}

// Get implements SecretGetter.
func (s *SecretSet) Get(_ context.Context, namespace, name string) (*corev1.Secret, error) {
	if sec, ok := s.byName[secretName{namespace, name}]; ok {
		return sec, nil
	}
	if s.namespaces[namespace] {
		return nil, ErrSecretNotFound
	}
	return nil, ErrSecretNotVisible
}
