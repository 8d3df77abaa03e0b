package cluster

import (
	"context"
	"strings"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/apimachinery/pkg/runtime"

	cnpgv1 "github.com/objectstore-webhook/objectstore-webhook/schema/cnpg/v1"
)

func review(op admissionv1.Operation, object, old string) *admissionv1.AdmissionRequest {
	req := &admissionv1.AdmissionRequest{Operation: op, Namespace: "db", Object: runtime.RawExtension{Raw: []byte(object)}}
	if old != "" {
		req.OldObject = runtime.RawExtension{Raw: []byte(old)}
	}
	return req
}

func TestMutatorAdmit(t *testing.T) {
	m := Mutator{Lookup: newSet(irsaStore)}
	// No namespace in the object: the request's is used to find the store.
	obj := `{"metadata":{"name":"pg","annotations":{"objectstore-webhook.io/object-store":"aws"}},"spec":{}}`
	res := m.Admit(context.Background(), review(admissionv1.Create, obj, ""))
	if !res.Allowed() || !strings.Contains(string(res.Patch), `"/spec/serviceAccountTemplate"`) {
		t.Fatalf("CREATE: %+v %s", res, res.Patch)
	}
	if res := m.Admit(context.Background(), review(admissionv1.Delete, obj, "")); len(res.Patch) != 0 {
		t.Error("DELETE patched")
	}
	if res := m.Admit(context.Background(), review(admissionv1.Create, `{"spec":[]}`, "")); res.Denied == nil || res.Denied.Code != 400 {
		t.Errorf("an object that is not a Cluster must be refused with 400: %+v", res)
	}
}

func TestValidatorAdmit(t *testing.T) {
	v := Validator{Lookup: newSet(irsaStore, cl("other", uses("aws"), cnpgv1.ClusterSpec{}))}
	clash := `{"metadata":{"name":"pg","annotations":{"objectstore-webhook.io/object-store":"aws","objectstore-webhook.io/server-name":"other"}}}`
	if res := v.Admit(context.Background(), review(admissionv1.Create, clash, "")); res.Allowed() || len(res.Errors) != 1 {
		t.Errorf("CREATE of a clashing Cluster: %+v", res)
	}
	// The same clash on an UPDATE that does not change the binding only warns.
	res := v.Admit(context.Background(), review(admissionv1.Update, clash, clash))
	if !res.Allowed() || len(res.Warnings) != 1 {
		t.Errorf("UPDATE keeping a clash: %+v", res)
	}
	if res := v.Admit(context.Background(), review(admissionv1.Update, clash, `{"metadata":7}`)); res.Allowed() {
		t.Error("a broken oldObject must be refused")
	}
}
