package pod

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sync"

	corev1 "k8s.io/api/core/v1"

	"github.com/objectstore-webhook/objectstore-webhook/internal/binding"
	"github.com/objectstore-webhook/objectstore-webhook/internal/contract"
	barmanv1 "github.com/objectstore-webhook/objectstore-webhook/schema/barmancloud/v1"
	cnpgv1 "github.com/objectstore-webhook/objectstore-webhook/schema/cnpg/v1"
)

// Options are the operator's choices, the same for every pod.
type Options struct {
	// Image and PullPolicy of the wal-archiver container.
	Image      string
	PullPolicy corev1.PullPolicy
	// NativeSidecar puts the archiver in initContainers with restartPolicy Always (Kubernetes ≥ 1.29), so
	// it starts before PostgreSQL and stops after it; otherwise it is an ordinary container.
	NativeSidecar bool
}

// Additions is everything a pod gains; Patch writes it as add operations.
type Additions struct {
	Annotations    map[string]string
	InitContainers []corev1.Container
	Containers     []corev1.Container
	Volumes        []corev1.Volume

	// encoded holds the JSON of the sidecar and volumes, made once for the hash and reused as patch
	// values: encoding the container is most of the cost of a review.
	encoded *encoded
}

type encoded struct {
	container json.RawMessage
	volumes   []json.RawMessage
}

// Empty reports whether nothing is added.
func (a Additions) Empty() bool {
	return len(a.Annotations) == 0 && len(a.InitContainers) == 0 && len(a.Containers) == 0 && len(a.Volumes) == 0
}

// Failure is why a pod that should get the archiver cannot: the webhook admits it unmutated (or denies
// it, if so configured), warns, records an Event and counts Reason.
type Failure struct {
	Reason  string
	Message string
}

func (f *Failure) Error() string { return f.Message }

// Failure reasons, the values of the metric's reason label.
const (
	ReasonClusterNotFound  = "cluster-not-found"
	ReasonStoreNotFound    = "store-not-found"
	ReasonBrokenReference  = "broken-reference"
	ReasonUnsupportedStore = "unsupported-store"
	ReasonNoPGDataVolume   = "no-pgdata-volume"
	ReasonLookupError      = "lookup-error"
)

// PGDataVolume is the name of CloudNativePG's data volume, where the archiver spools.
const PGDataVolume = "pgdata"

// Target tells whether a pod is one the webhook may inject, and the Cluster it belongs to: an instance
// pod of a CloudNativePG Cluster that did not opt out.
func Target(p *corev1.Pod) (clusterName string, ok bool) {
	name := p.Labels[contract.CNPGClusterLabel]
	if name == "" || p.Labels[contract.CNPGPodRoleLabel] != contract.CNPGPodRoleInstance {
		return "", false
	}
	if p.Annotations[contract.PodInject] == "false" {
		return "", false
	}
	return name, true
}

// Plan decides what the pod gains. No additions and no error means the pod is not ours to change: not an
// instance pod, opted out, a Cluster without a store, the upstream plugin's sidecar, or already injected.
// sa may be nil when the ServiceAccount is unknown.
func Plan(p *corev1.Pod, c *cnpgv1.Cluster, store *barmanv1.ObjectStore, sa *corev1.ServiceAccount,
	opts Options) (Additions, []string, error) {
	return plan(p, c, store, sa, opts, nil)
}

// plan is Plan building in ws, or in memory of its own when ws is nil.
func plan(p *corev1.Pod, c *cnpgv1.Cluster, store *barmanv1.ObjectStore, sa *corev1.ServiceAccount,
	opts Options, ws *workspace) (Additions, []string, error) {
	clusterName, ok := Target(p)
	if !ok {
		return Additions{}, nil, nil
	}
	if c == nil {
		return Additions{}, nil, &Failure{ReasonClusterNotFound,
			fmt.Sprintf("Cluster %q of pod %q not found", clusterName, p.Name)}
	}
	b, ok := binding.BindingOf(c)
	if !ok || b.Upstream || hasContainer(p, contract.SidecarName) || hasContainer(p, contract.UpstreamPluginContainerName) {
		return Additions{}, nil, nil
	}
	if store == nil {
		return Additions{}, nil, &Failure{ReasonStoreNotFound, fmt.Sprintf(
			"ObjectStore %q of Cluster %q not found: pod %q runs without the archiver", b.Store, c.Name, p.Name)}
	}
	if !hasVolume(p, PGDataVolume) {
		return Additions{}, nil, &Failure{ReasonNoPGDataVolume, fmt.Sprintf(
			"pod %q has no %q volume to spool WAL on: is it a CloudNativePG instance pod?", p.Name, PGDataVolume)}
	}
	s, err := newSidecar(c, b, store, ws)
	if err != nil {
		return Additions{}, nil, err
	}
	warnings := s.identity(p, store, sa)
	container, volumes := s.build(opts)

	var add Additions
	// volumes is Plan's own: the ones the pod lacks are kept in place.
	for _, v := range volumes {
		if !hasVolume(p, v.Name) {
			add.Volumes = append(volumes[:len(add.Volumes)], v)
		}
	}
	rec := record{Volumes: names(add.Volumes)}
	if opts.NativeSidecar {
		always := corev1.ContainerRestartPolicyAlways
		container.RestartPolicy = &always
		add.InitContainers = []corev1.Container{container}
		rec.InitContainers = []string{container.Name}
	} else {
		add.Containers = []corev1.Container{container}
		rec.Containers = []string{container.Name}
	}
	enc, err := encode(container, add.Volumes, ws)
	if err != nil {
		return Additions{}, nil, err
	}
	add.encoded = enc
	rec.Hash = enc.hash()
	add.Annotations = map[string]string{contract.PodInjected: rec.String()}
	return add, warnings, nil
}

// record is the value of the PodInjected annotation: what was added, and a hash of it, so that a change
// of the injected spec is visible on the pod.
type record struct {
	InitContainers []string `json:"initContainers,omitempty"`
	Containers     []string `json:"containers,omitempty"`
	Volumes        []string `json:"volumes,omitempty"`
	Hash           string   `json:"hash"`
}

// String is json.Marshal of r, without reflection; TestRecordString holds the two to the same bytes.
func (r record) String() string {
	b := make([]byte, 0, 96+len(r.Hash))
	b = append(b, '{')
	for _, list := range []struct {
		key   string
		names []string
	}{{`"initContainers":`, r.InitContainers}, {`"containers":`, r.Containers}, {`"volumes":`, r.Volumes}} {
		if len(list.names) > 0 {
			b = appendStrings(b, list.key, list.names)
			b = append(b, ',')
		}
	}
	b = append(b, `"hash":`...)
	b = appendString(b, r.Hash)
	return string(append(b, '}'))
}

// workspace is the memory the webhook plans one pod in: the sidecar's slices and the buffer it is
// encoded into. The webhook takes one from a pool and puts it back once the patch is written, so that a
// review leaves less garbage behind (the collector's share was most of a review's cost). Nothing built in
// a workspace may outlive its release; Plan and Inject, whose results callers keep, use none.
type workspace struct {
	pod     corev1.Pod
	sidecar sidecar
	buf     []byte
	ends    []int
	enc     encoded
}

var workspaces = sync.Pool{New: func() any { return new(workspace) }}

// maxWorkspace keeps the pool from holding on to the rare large sidecar, maxPooledContainers and
// maxPooledVolumes to the rare large pod.
const (
	maxWorkspace        = 64 << 10
	maxPooledContainers = 32
	maxPooledVolumes    = 64
)

func getWorkspace() *workspace { return workspaces.Get().(*workspace) }

// release returns ws to the pool, dropping what it points to so the pool does not keep a store alive.
func (ws *workspace) release() {
	if cap(ws.buf) > maxWorkspace {
		return
	}
	sp, m := &ws.pod.Spec, &ws.pod.ObjectMeta
	if cap(sp.InitContainers)+cap(sp.Containers) > maxPooledContainers || cap(sp.Volumes) > maxPooledVolumes {
		ws.pod = corev1.Pod{} // a pod with very many containers: not worth keeping its memory
	}
	clear(sp.InitContainers[:cap(sp.InitContainers)])
	clear(sp.Containers[:cap(sp.Containers)])
	clear(sp.Volumes[:cap(sp.Volumes)])
	clear(m.Labels)
	clear(m.Annotations)
	s := &ws.sidecar
	clear(s.env[:cap(s.env)])
	clear(s.mounts[:cap(s.mounts)])
	clear(s.volumes[:cap(s.volumes)])
	clear(s.args[:cap(s.args)])
	s.conf = barmanv1.InstanceSidecarConfiguration{}
	clear(ws.enc.volumes[:cap(ws.enc.volumes)])
	ws.enc.container = nil
	workspaces.Put(ws)
}

// encode writes the container and volumes as JSON, into ws's buffer when there is one.
func encode(c corev1.Container, volumes []corev1.Volume, ws *workspace) (*encoded, error) {
	var buf []byte
	var ends []int
	var e *encoded
	if ws != nil {
		buf, ends, e = ws.buf[:0], ws.ends[:0], &ws.enc
		e.volumes = e.volumes[:0]
	} else {
		buf, e = make([]byte, 0, 4<<10), new(encoded) // an archiver and its volumes take about 3 KiB
	}
	var err error
	if buf, err = appendContainer(buf, &c); err != nil {
		return nil, fmt.Errorf("encoding the sidecar: %w", err)
	}
	ends = append(ends, len(buf))
	for i := range volumes {
		if buf, err = appendVolume(buf, &volumes[i]); err != nil {
			return nil, fmt.Errorf("encoding volume %q: %w", volumes[i].Name, err)
		}
		ends = append(ends, len(buf))
	}
	if ws != nil {
		ws.buf, ws.ends = buf, ends // grown, if it had to, for the next pod
	}
	e.container = buf[:ends[0]:ends[0]]
	for i := range volumes {
		e.volumes = append(e.volumes, buf[ends[i]:ends[i+1]:ends[i+1]])
	}
	return e, nil
}

// hash identifies the injected spec: a different image, setting or volume gives a different hash.
func (e *encoded) hash() string {
	h := sha256.New()
	h.Write(e.container)
	for _, v := range e.volumes {
		h.Write([]byte{'\n'})
		h.Write(v)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)[:8])
}

func names(volumes []corev1.Volume) []string {
	out := make([]string, 0, len(volumes))
	for _, v := range volumes {
		out = append(out, v.Name)
	}
	return out
}

func hasContainer(p *corev1.Pod, name string) bool {
	for i := range p.Spec.InitContainers {
		if p.Spec.InitContainers[i].Name == name {
			return true
		}
	}
	for i := range p.Spec.Containers {
		if p.Spec.Containers[i].Name == name {
			return true
		}
	}
	return false
}

func hasVolume(p *corev1.Pod, name string) bool {
	for i := range p.Spec.Volumes {
		if p.Spec.Volumes[i].Name == name {
			return true
		}
	}
	return false
}
