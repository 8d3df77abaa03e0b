package admission_test

import (
	"encoding/json"
	"syscall"
	"testing"

	jsoniter "github.com/json-iterator/go"
	admissionv1 "k8s.io/api/admission/v1"
	kjson "sigs.k8s.io/json"

	v1 "github.com/objectstore-webhook/objectstore-webhook/schema/barmancloud/v1"
)

var cs = jsoniter.Config{CaseSensitive: true}.Froze()

func BenchmarkTmpSigsReview(b *testing.B) {
	body := []byte(storeReview)
	b.ReportAllocs()
	for b.Loop() {
		var r admissionv1.AdmissionReview
		if err := kjson.UnmarshalCaseSensitivePreserveInts(body, &r); err != nil {
			b.Fatal(err)
		}
	}
}
func BenchmarkTmpStdReview(b *testing.B) {
	body := []byte(storeReview)
	b.ReportAllocs()
	for b.Loop() {
		var r admissionv1.AdmissionReview
		if err := json.Unmarshal(body, &r); err != nil {
			b.Fatal(err)
		}
	}
}
func BenchmarkTmpIterReview(b *testing.B) {
	body := []byte(storeReview)
	b.ReportAllocs()
	for b.Loop() {
		var r admissionv1.AdmissionReview
		if err := cs.Unmarshal(body, &r); err != nil {
			b.Fatal(err)
		}
	}
}
func BenchmarkTmpSigsObject(b *testing.B) {
	body := []byte(storeJSON)
	b.ReportAllocs()
	for b.Loop() {
		var r v1.ObjectStore
		if err := kjson.UnmarshalCaseSensitivePreserveInts(body, &r); err != nil {
			b.Fatal(err)
		}
	}
}
func BenchmarkTmpIterObject(b *testing.B) {
	body := []byte(storeJSON)
	b.ReportAllocs()
	for b.Loop() {
		var r v1.ObjectStore
		if err := cs.Unmarshal(body, &r); err != nil {
			b.Fatal(err)
		}
	}
}

func cpuNs() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}

func BenchmarkTmpCPU(b *testing.B) {
	for name, f := range map[string]func(){
		"sigsReview": func() { var r admissionv1.AdmissionReview; kjson.UnmarshalCaseSensitivePreserveInts([]byte(storeReview), &r) },
		"stdReview":  func() { var r admissionv1.AdmissionReview; json.Unmarshal([]byte(storeReview), &r) },
		"iterReview": func() { var r admissionv1.AdmissionReview; cs.Unmarshal([]byte(storeReview), &r) },
		"sigsObject": func() { var r v1.ObjectStore; kjson.UnmarshalCaseSensitivePreserveInts([]byte(storeJSON), &r) },
		"iterObject": func() { var r v1.ObjectStore; cs.Unmarshal([]byte(storeJSON), &r) },
	} {
		b.Run(name, func(b *testing.B) {
			start := cpuNs()
			for b.Loop() {
				f()
			}
			b.ReportMetric(float64(cpuNs()-start)/float64(b.N), "cpu-ns/op")
		})
	}
}
