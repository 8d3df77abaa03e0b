package pod

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/tools/events"

	cnpgv1 "github.com/objectstore-webhook/objectstore-webhook/schema/cnpg/v1"
	"github.com/objectstore-webhook/objectstore-webhook/webhooks/admission"
)

// Webhook is the /mutate/pods handler: the Injector plus what to do when injection fails.
type Webhook struct {
	Injector Injector
	// Deny refuses a pod that should get the archiver and cannot (--injection-failure=deny); by default
	// it is admitted unmutated, since PostgreSQL without archiving beats no PostgreSQL.
	Deny bool
	// Events, if not nil, records each failure on the pod's Cluster.
	Events EventRecorder
	// Failures, if not nil, counts failures by reason.
	Failures *prometheus.CounterVec
}

var _ admission.PatchAppender = (*Webhook)(nil)

// Admit implements admission.Handler. Only CREATE is mutated: a pod's containers cannot change later.
func (w *Webhook) Admit(ctx context.Context, req *admissionv1.AdmissionRequest) admission.Result {
	return w.AdmitAppend(ctx, req, nil)
}

// AdmitAppend implements admission.PatchAppender: Admit, with the patch written into the transport's
// buffer.
func (w *Webhook) AdmitAppend(ctx context.Context, req *admissionv1.AdmissionRequest, patch []byte) admission.Result {
	if req.Operation != admissionv1.Create {
		return admission.Result{}
	}
	// The plan lives in a pooled workspace until the patch is copied into the transport's buffer.
	ws := getWorkspace()
	defer ws.release()
	res, err := w.Injector.inject(ctx, req.Namespace, req.Object.Raw, ws)
	if err != nil {
		return admission.Deny(http.StatusBadRequest, fmt.Sprintf("request.object is not a valid Pod: %v", err))
	}
	if f := res.Failure; f != nil {
		if w.Failures != nil {
			w.Failures.WithLabelValues(f.Reason).Inc()
		}
		if w.Events != nil {
			w.Events.InjectionFailed(req.Namespace, res.Cluster, podName(req), f)
		}
		if w.Deny {
			deny := admission.Deny(http.StatusForbidden, "wal-archiver cannot be injected: "+f.Message)
			deny.Warnings = res.Warnings
			return deny
		}
		return admission.Result{Warnings: append(res.Warnings, "wal-archiver not injected: "+f.Message)}
	}
	out := admission.Result{Warnings: res.Warnings}
	if len(res.Patch) > 0 {
		if out.Patch, err = AppendPatch(patch, res.Patch); err != nil {
			return admission.Result{Err: fmt.Errorf("encoding the patch: %w", err)}
		}
	}
	return out
}

func podName(req *admissionv1.AdmissionRequest) string {
	if req.Name != "" {
		return req.Name
	}
	var probe struct {
		Metadata struct {
			Name         string `json:"name"`
			GenerateName string `json:"generateName"`
		} `json:"metadata"`
	}
	_ = json.Unmarshal(req.Object.Raw, &probe) // the name is only for the message
	if probe.Metadata.Name != "" {
		return probe.Metadata.Name
	}
	return probe.Metadata.GenerateName + "*"
}

// NewFailureCounter creates objectstore_webhook_injection_failures_total and registers it with reg (the
// registry the transport's metrics are served from).
func NewFailureCounter(reg prometheus.Registerer) (*prometheus.CounterVec, error) {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "objectstore_webhook_injection_failures_total",
		Help: "Instance pods admitted without the wal-archiver (or denied) because it could not be injected, by reason.",
	}, []string{"reason"})
	for _, r := range []string{ReasonClusterNotFound, ReasonStoreNotFound, ReasonBrokenReference,
		ReasonUnsupportedStore, ReasonNoPGDataVolume, ReasonLookupError} {
		c.WithLabelValues(r) // every reason is exported from the start, so rate() sees the first failure
	}
	if err := reg.Register(c); err != nil {
		return nil, err
	}
	return c, nil
}

// EventRecorder records an injection failure where people look: on the pod's Cluster, since the pod is
// being created and GitOps tools hide admission warnings (argo-cd #9256, flux2 #5703).
type EventRecorder interface {
	InjectionFailed(namespace, cluster, pod string, f *Failure)
}

// ClientGoEvents is the online EventRecorder, writing events.k8s.io/v1 Events through client-go.
type ClientGoEvents struct{ Recorder events.EventRecorder }

// InjectionFailed implements EventRecorder.
func (e ClientGoEvents) InjectionFailed(namespace, cluster, pod string, f *Failure) {
	if cluster == "" {
		return
	}
	ref := &corev1.ObjectReference{APIVersion: cnpgv1.GroupVersion.String(), Kind: cnpgv1.Kind.Kind,
		Namespace: namespace, Name: cluster}
	e.Recorder.Eventf(ref, nil, corev1.EventTypeWarning, "ArchiverNotInjected", "InjectPod", "pod %s: %s", pod,
		f.Message)
}
