package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	admissionv1 "k8s.io/api/admission/v1"

	"github.com/objectstore-webhook/objectstore-webhook/internal/binding"
	"github.com/objectstore-webhook/objectstore-webhook/internal/jsonscan"
	cnpgv1 "github.com/objectstore-webhook/objectstore-webhook/schema/cnpg/v1"
	"github.com/objectstore-webhook/objectstore-webhook/webhooks/admission"
)

// Mutator is the /mutate/clusters handler: it wires the identity of the Cluster's store (CREATE, UPDATE).
type Mutator struct{ Lookup binding.Lookup }

var _ admission.Handler = Mutator{}

// Admit implements admission.Handler.
func (m Mutator) Admit(ctx context.Context, req *admissionv1.AdmissionRequest) admission.Result {
	if req.Operation != admissionv1.Create && req.Operation != admissionv1.Update {
		return admission.Result{}
	}
	ops, warnings, err := Mutate(ctx, m.Lookup, req.Namespace, req.Object.Raw)
	var bad *DecodeError
	switch {
	case errors.As(err, &bad):
		return admission.Deny(http.StatusBadRequest, "request.object is not a valid Cluster: "+bad.Err.Error())
	case err != nil:
		return admission.Result{Err: err}
	}
	res := admission.Result{Warnings: warnings}
	if len(ops) > 0 {
		if res.Patch, err = json.Marshal(ops); err != nil {
			return admission.Result{Err: fmt.Errorf("encoding the patch: %w", err)}
		}
	}
	return res
}

// Validator is the /validate/clusters handler.
type Validator struct{ Lookup binding.Lookup }

var _ admission.Handler = Validator{}

// Admit implements admission.Handler.
func (v Validator) Admit(ctx context.Context, req *admissionv1.AdmissionRequest) admission.Result {
	if req.Operation != admissionv1.Create && req.Operation != admissionv1.Update {
		return admission.Result{}
	}
	var c cnpgv1.Cluster
	if err := jsonscan.DecodeObject(req.Object.Raw, &c); err != nil {
		return admission.Deny(http.StatusBadRequest, fmt.Sprintf("request.object is not a valid Cluster: %v", err))
	}
	if c.Namespace == "" {
		c.Namespace = req.Namespace
	}
	var old *cnpgv1.Cluster
	if req.Operation == admissionv1.Update {
		old = &cnpgv1.Cluster{}
		if err := jsonscan.DecodeObject(req.OldObject.Raw, old); err != nil {
			return admission.Deny(http.StatusBadRequest, fmt.Sprintf("request.oldObject is not a valid Cluster: %v", err))
		}
	}
	errs, warnings, err := Validate(ctx, v.Lookup, old, &c)
	if err != nil {
		return admission.Result{Err: err, Warnings: warnings}
	}
	return admission.Result{Errors: errs, Warnings: warnings}
}
