package pod

import (
	"fmt"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	"github.com/objectstore-webhook/objectstore-webhook/internal/binding"
	"github.com/objectstore-webhook/objectstore-webhook/internal/contract"
	barmanv1 "github.com/objectstore-webhook/objectstore-webhook/schema/barmancloud/v1"
)

// Defaults of the clouds' own webhooks, so the archiver gets what their SDK documentation describes.
const (
	AWSDefaultAudience          = "sts.amazonaws.com"
	AWSDefaultTokenExpiration   = 86400
	AWSMinTokenExpiration       = 600
	AzureAudience               = "api://AzureADTokenExchange"
	AzureDefaultAuthorityHost   = "https://login.microsoftonline.com/"
	AzureDefaultTokenExpiration = 3600
	AzureMaxTokenExpiration     = 86400
)

// identity adds what the EKS pod-identity or Azure Workload Identity webhook would give the archiver,
// when the store takes its credentials from the environment and the pod's ServiceAccount names an
// identity (or, for EKS Pod Identity, the store declares one or the EKS webhook already ran). GKE needs nothing on the pod: its metadata server answers for the ServiceAccount.
func (s *sidecar) identity(p *corev1.Pod, store *barmanv1.ObjectStore, sa *corev1.ServiceAccount) []string {
	conf := store.Spec.Configuration
	var saName string
	var saAnn map[string]string
	if sa != nil {
		saName, saAnn = sa.Name, sa.Annotations
	} else {
		saName = p.Spec.ServiceAccountName
	}
	switch {
	case conf.AWS != nil && conf.AWS.InheritFromIAMRole:
		if skipped(p.Annotations[contract.AWSSkipContainersAnnotation], ",") {
			return nil
		}
		// Pod Identity before IRSA, as the EKS webhook decides: what it already injected, then what the
		// store declares.
		if s.copyPodIdentity(p) {
			return nil
		}
		if binding.DeclaresPodIdentity(store) {
			return s.podIdentity(p, saAnn)
		}
		role := saAnn[contract.AWSRoleARNAnnotation]
		if role == "" {
			return []string{fmt.Sprintf("ServiceAccount %q has no %s, no Pod Identity is declared: the archiver uses the node's role",
				saName, contract.AWSRoleARNAnnotation)}
		}
		return s.irsa(p, saAnn, role)
	case conf.Azure != nil && (conf.Azure.InheritFromAzureAD || conf.Azure.UseDefaultAzureCredentials):
		if skipped(p.Annotations[contract.AzureSkipContainersAnnotation], ";") {
			return nil
		}
		client := saAnn[contract.AzureClientIDAnnotation]
		if client == "" {
			if conf.Azure.InheritFromAzureAD {
				return []string{fmt.Sprintf("ServiceAccount %q has no %s: the archiver uses the node's managed identity",
					saName, contract.AzureClientIDAnnotation)}
			}
			return nil
		}
		return s.azure(p, store, saAnn, saName, client)
	}
	return nil
}

// skipped reports whether the archiver is listed in a cloud webhook's skip-containers annotation.
func skipped(list, sep string) bool {
	for _, name := range strings.Split(list, sep) {
		if strings.TrimSpace(name) == contract.SidecarName {
			return true
		}
	}
	return false
}

func (s *sidecar) irsa(p *corev1.Pod, saAnn map[string]string, role string) []string {
	audience := saAnn[contract.AWSAudienceAnnotation]
	if audience == "" {
		audience = AWSDefaultAudience
	}
	expiration, warnings := awsTokenExpiration(p, saAnn)
	s.env = append(s.env,
		value(contract.EnvAWSRoleARN, role),
		value(contract.EnvAWSWebIdentityTokenFile, contract.FileAWSToken))
	if strings.EqualFold(saAnn[contract.AWSSTSRegionalAnnotation], "true") {
		s.env = append(s.env, value(contract.EnvAWSSTSRegionalEndpoints, "regional"))
	}
	s.tokenVolume(contract.VolumeAWSToken, contract.MountAWSToken, "token", audience, expiration)
	return warnings
}

// awsTokenExpiration is the token lifetime the EKS webhook would choose, for IRSA and Pod Identity alike:
// the pod's annotation overrides the ServiceAccount's, and a lifetime below the minimum is raised to it.
func awsTokenExpiration(p *corev1.Pod, saAnn map[string]string) (int64, []string) {
	expiration := int64(AWSDefaultTokenExpiration)
	raw, on := p.Annotations[contract.AWSTokenExpirationAnnotation], "pod"
	if raw == "" {
		raw, on = saAnn[contract.AWSTokenExpirationAnnotation], "ServiceAccount"
	}
	if raw == "" {
		return expiration, nil
	}
	n, err := strconv.ParseInt(raw, 10, 64)
	switch {
	case err != nil:
		return expiration, []string{fmt.Sprintf("%s annotation %s=%q is not a number of seconds; using %d",
			on, contract.AWSTokenExpirationAnnotation, raw, expiration)}
	case n < AWSMinTokenExpiration:
		return AWSMinTokenExpiration, nil
	}
	return n, nil
}

func (s *sidecar) azure(p *corev1.Pod, store *barmanv1.ObjectStore, saAnn map[string]string, saName, client string) []string {
	var warnings []string
	tenant := saAnn[contract.AzureTenantIDAnnotation]
	if tenant == "" {
		tenant = store.Annotations[contract.StoreAzureTenantID]
	}
	expiration := int64(AzureDefaultTokenExpiration)
	raw, on := p.Annotations[contract.AzureTokenExpirationAnnotation], "pod"
	if raw == "" {
		raw, on = saAnn[contract.AzureTokenExpirationAnnotation], "ServiceAccount"
	}
	if raw != "" {
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || n < AzureDefaultTokenExpiration || n > AzureMaxTokenExpiration {
			warnings = append(warnings, fmt.Sprintf("%s annotation %s=%q is not 3600-86400 seconds; using %d",
				on, contract.AzureTokenExpirationAnnotation, raw, expiration))
		} else {
			expiration = n
		}
	}
	s.env = append(s.env, value(contract.EnvAzureClientID, client))
	if tenant != "" {
		s.env = append(s.env, value(contract.EnvAzureTenantID, tenant))
	} else {
		warnings = append(warnings, fmt.Sprintf("no Azure tenant: annotate ServiceAccount %q with %s",
			saName, contract.AzureTenantIDAnnotation))
	}
	s.env = append(s.env,
		value(contract.EnvAzureFederatedTokenFile, contract.FileAzureToken),
		value(contract.EnvAzureAuthorityHost, AzureDefaultAuthorityHost))
	s.tokenVolume(contract.VolumeAzureToken, contract.MountAzureToken, "azure-identity-token", AzureAudience,
		expiration)
	return warnings
}

// tokenVolume adds a projected ServiceAccount token. When the cloud's webhook ran first the pod already
// has a volume of that name; Plan then adds only the mount, which reuses it.
func (s *sidecar) tokenVolume(name, mount, path, audience string, expiration int64) {
	s.volumes = append(s.volumes, corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{
		Projected: &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{{
			ServiceAccountToken: &corev1.ServiceAccountTokenProjection{
				Audience: audience, ExpirationSeconds: ptr.To(expiration), Path: path}}}}}})
	s.mounts = append(s.mounts, corev1.VolumeMount{Name: name, MountPath: mount, ReadOnly: true})
}
