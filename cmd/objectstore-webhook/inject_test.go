package main

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/objectstore-webhook/objectstore-webhook/internal/contract"
)

func TestInjectCommand(t *testing.T) {
	in, err := os.ReadFile("testdata/inject/irsa.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := runInject([]string{"-f", "-", "--archiver-image", "example.com/wal-archiver:1", "--native-sidecar=false"},
		bytes.NewReader(in), &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	docs := strings.Split(stdout.String(), "\n---\n")
	if len(docs) != 4 {
		t.Fatalf("%d documents out, want the 4 in:\n%s", len(docs), stdout.String())
	}
	var c struct {
		Spec struct {
			Storage                map[string]any `json:"storage"`
			ServiceAccountTemplate struct {
				Metadata struct {
					Annotations map[string]string `json:"annotations"`
				} `json:"metadata"`
			} `json:"serviceAccountTemplate"`
		} `json:"spec"`
	}
	if err := yaml.Unmarshal([]byte(docs[1]), &c); err != nil {
		t.Fatal(err)
	}
	if got := c.Spec.ServiceAccountTemplate.Metadata.Annotations[contract.AWSRoleARNAnnotation]; got != "arn:aws:iam::123456789012:role/pg-backup" {
		t.Errorf("Cluster not wired: role-arn %q\n%s", got, docs[1])
	}
	if c.Spec.Storage["size"] != "1Gi" {
		t.Error("a Cluster field unknown to our view was lost")
	}
	for _, want := range []string{"name: " + contract.SidecarName, "image: example.com/wal-archiver:1",
		contract.EnvAWSRoleARN, contract.VolumeAWSToken, contract.PodInjected} {
		if !strings.Contains(docs[3], want) {
			t.Errorf("pod lacks %q:\n%s", want, docs[3])
		}
	}
	if strings.Contains(docs[3], "restartPolicy: Always") {
		t.Error("--native-sidecar=false injected a native sidecar")
	}
	if !strings.Contains(docs[2], "kind: Secret") || !strings.Contains(docs[2], "a: b") {
		t.Errorf("the Secret is not printed unchanged:\n%s", docs[2])
	}
}

func TestInjectReportsFailures(t *testing.T) {
	in := `apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata: {name: pg, namespace: db, annotations: {objectstore-webhook.io/object-store: missing}}
---
apiVersion: v1
kind: Pod
metadata: {name: pg-1, namespace: db, labels: {cnpg.io/cluster: pg, cnpg.io/podRole: instance}}
spec: {containers: [{name: postgres, image: pg}], volumes: [{name: pgdata, emptyDir: {}}]}
`
	for flagValue, want := range map[string]int{"admit": 0, "deny": 1} {
		var stdout, stderr bytes.Buffer
		code := runInject([]string{"-f", "-", "--injection-failure=" + flagValue}, strings.NewReader(in), &stdout, &stderr)
		if code != want {
			t.Errorf("--injection-failure=%s: exit %d, want %d", flagValue, code, want)
		}
		if !strings.Contains(stderr.String(), "not injected (store-not-found)") {
			t.Errorf("failure not reported: %s", stderr.String())
		}
		if strings.Contains(stdout.String(), contract.SidecarName) {
			t.Error("a pod that could not be injected was changed")
		}
	}
}

func TestInjectUsage(t *testing.T) {
	for _, args := range [][]string{nil, {"-f", "x", "extra"}, {"-f", "-", "--native-sidecar=auto"},
		{"-f", "-", "--archiver-pull-policy=Sometimes"}} {
		var stdout, stderr bytes.Buffer
		if code := runInject(args, strings.NewReader(""), &stdout, &stderr); code != 2 {
			t.Errorf("%q: exit %d, want 2", args, code)
		}
	}
}
