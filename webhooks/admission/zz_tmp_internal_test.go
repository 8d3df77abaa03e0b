package admission

import (
	"os"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
)

func BenchmarkTmpDecode(b *testing.B) {
	body, _ := os.ReadFile("/tmp/review.json")
	b.Run("slow", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			r := &admissionv1.AdmissionReview{}
			if err := unmarshal(body, r); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("fast", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := decodeReviewJSON(body); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("scanonly", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			skipValue(body, 0, 0)
		}
	})
}
