package pod

import (
	"flag"
	"fmt"
	"regexp"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/version"

	buildversion "github.com/objectstore-webhook/objectstore-webhook/internal/version"
)

// ImageRepository is where the project's one image lives: it holds both the webhook and wal-archiver, so
// that one tag pins both sides of the contract in package contract.
const ImageRepository = "ghcr.io/objectstore-webhook/objectstore-webhook"

// releaseTag matches the versions that name a published image (v1.2.3, v1.2.3-rc.1), not what `git
// describe` says of a development build (v1.2.3-4-gabcdef, abcdef-dirty).
var releaseTag = regexp.MustCompile(`^v[0-9]+\.[0-9]+\.[0-9]+(-(alpha|beta|rc)(\.[0-9]+)?)?$`)

// DefaultImage is the image injected unless --archiver-image says otherwise: the webhook's own release,
// so an upgrade of the webhook upgrades the archiver it injects; a development build injects :latest.
func DefaultImage() string {
	if releaseTag.MatchString(buildversion.Version) {
		return ImageRepository + ":" + buildversion.Version
	}
	return ImageRepository + ":latest"
}

// nativeSidecarSince is the first Kubernetes version with native sidecars on by default (beta in 1.29).
var nativeSidecarSince = version.MajorMinor(1, 29)

// Config holds the pod webhook's flags, shared by `serve` and `inject`.
type Config struct {
	Image            string
	PullPolicy       string
	NativeSidecar    string
	InjectionFailure string
}

// AddFlags registers the flags; offline says whether "auto" is possible (it asks the API server).
func (c *Config) AddFlags(fs *flag.FlagSet, offline bool) {
	fs.StringVar(&c.Image, "archiver-image", DefaultImage(), "image of the injected wal-archiver sidecar (it runs `wal-archiver stream`)")
	fs.StringVar(&c.PullPolicy, "archiver-pull-policy", string(corev1.PullIfNotPresent),
		"imagePullPolicy of the sidecar: Always, IfNotPresent or Never")
	if offline {
		fs.StringVar(&c.NativeSidecar, "native-sidecar", "true",
			"true: inject an init container with restartPolicy Always (Kubernetes ≥ 1.29); false: a container")
		return
	}
	fs.StringVar(&c.NativeSidecar, "native-sidecar", "auto",
		"auto (from the API server's version: ≥ 1.29), true or false")
	fs.StringVar(&c.InjectionFailure, "injection-failure", "admit",
		"when the sidecar cannot be injected: admit the pod unmutated (with a warning and an Event) or deny it")
}

// Options checks the flags and returns the injection options. serverVersion is asked only for
// --native-sidecar=auto; it returns the API server's gitVersion (e.g. "v1.33.2").
func (c *Config) Options(serverVersion func() (string, error)) (Options, error) {
	opts := Options{Image: c.Image, PullPolicy: corev1.PullPolicy(c.PullPolicy)}
	if strings.TrimSpace(opts.Image) == "" {
		return Options{}, fmt.Errorf("--archiver-image must not be empty")
	}
	switch opts.PullPolicy {
	case corev1.PullAlways, corev1.PullIfNotPresent, corev1.PullNever:
	default:
		return Options{}, fmt.Errorf("--archiver-pull-policy=%q: want Always, IfNotPresent or Never", c.PullPolicy)
	}
	switch c.NativeSidecar {
	case "true":
		opts.NativeSidecar = true
	case "false":
	case "auto":
		if serverVersion == nil {
			return Options{}, fmt.Errorf("--native-sidecar=auto needs the API server: use true or false")
		}
		v, err := serverVersion()
		if err != nil {
			return Options{}, fmt.Errorf("--native-sidecar=auto: asking the API server its version: %w", err)
		}
		if opts.NativeSidecar, err = NativeSidecarSupported(v); err != nil {
			return Options{}, err
		}
	default:
		return Options{}, fmt.Errorf("--native-sidecar=%q: want auto, true or false", c.NativeSidecar)
	}
	return opts, nil
}

// DenyOnFailure reports the --injection-failure choice.
func (c *Config) DenyOnFailure() (bool, error) {
	switch c.InjectionFailure {
	case "", "admit":
		return false, nil
	case "deny":
		return true, nil
	}
	return false, fmt.Errorf("--injection-failure=%q: want admit or deny", c.InjectionFailure)
}

// NativeSidecarSupported decides from the API server's version: native sidecars are on by default from
// 1.29. The kubelets may lag (version skew), but a kubelet that predates them would also refuse the pods
// CloudNativePG's own plugin sidecar produces.
func NativeSidecarSupported(gitVersion string) (bool, error) {
	v, err := version.ParseGeneric(gitVersion)
	if err != nil {
		return false, fmt.Errorf("API server version %q: %w", gitVersion, err)
	}
	return v.AtLeast(nativeSidecarSince), nil
}
