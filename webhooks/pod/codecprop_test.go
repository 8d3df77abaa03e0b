package pod

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/randfill"

	"github.com/objectstore-webhook/objectstore-webhook/internal/codectest"
)

// podFiller fills containers and volumes with values json.Marshal can write: strings mix what JSON escapes
// (HTML characters, quotes, line and paragraph separators) with plain text; quantities and int-or-strings
// are ones a parser produces, as the API server only hands those over.
func podFiller(seed int64) *randfill.Filler {
	pieces := []string{"a", "Z", "0", "-", "/", "<", ">", "&", `"`, `\`, "\n", "\u2028", "é", "\U0001F600", " "}
	quantities := []string{"0", "1", "100m", "1.5", "1Gi", "128Mi", "2k", "1e3", "500M"}
	return randfill.NewWithSeed(seed).NilChance(0.3).NumElements(1, 2).MaxDepth(8).Funcs(
		func(s *string, c randfill.Continue) {
			var b bytes.Buffer
			for range c.Intn(6) {
				b.WriteString(pieces[c.Intn(len(pieces))])
			}
			*s = b.String()
		},
		func(q *resource.Quantity, c randfill.Continue) {
			*q = resource.MustParse(quantities[c.Intn(len(quantities))])
		},
		func(v *intstr.IntOrString, c randfill.Continue) {
			if c.Bool() {
				*v = intstr.FromInt32(c.Int31n(65536))
			} else {
				*v = intstr.FromString("http")
			}
		},
		func(tm *metav1.Time, c randfill.Continue) { *tm = metav1.Unix(int64(c.Intn(1<<31)), 0) },
		func(m *[]metav1.ManagedFieldsEntry, c randfill.Continue) { *m = nil },
	)
}

// TestRandomContainersEncodeAsJSONMarshal: random containers, every field filled or not at random,
// encode byte for byte as json.Marshal writes them.
func TestRandomContainersEncodeAsJSONMarshal(t *testing.T) {
	for seed := range int64(1000) {
		var c corev1.Container
		podFiller(seed).Fill(&c)
		if msg := sameAsMarshal(&c, func() ([]byte, error) { return appendContainer(nil, &c) }); msg != "" {
			t.Fatalf("seed %d: %s", seed, msg)
		}
	}
}

// TestRandomVolumesEncodeAsJSONMarshal: the same for volumes, with the sidecar's shapes (an empty
// emptyDir, a secret, projected tokens) as often as any other source.
func TestRandomVolumesEncodeAsJSONMarshal(t *testing.T) {
	for seed := range int64(1000) {
		var v corev1.Volume
		f := podFiller(seed)
		switch seed % 4 {
		case 0:
			f.Fill(&v)
		case 1:
			f.Fill(&v.Name)
			v.EmptyDir = &corev1.EmptyDirVolumeSource{}
		case 2:
			f.Fill(&v.Name)
			v.Secret = &corev1.SecretVolumeSource{}
			f.Fill(v.Secret)
		case 3:
			f.Fill(&v.Name)
			v.Projected = &corev1.ProjectedVolumeSource{}
			f.Fill(v.Projected)
		}
		if msg := sameAsMarshal(&v, func() ([]byte, error) { return appendVolume(nil, &v) }); msg != "" {
			t.Fatalf("seed %d: %s", seed, msg)
		}
	}
}

// TestPodEncodersKnowEveryField sets each field of Container and Volume alone, found by reflection: a field
// a k8s.io/api bump adds (to EnvVar, ResourceRequirements, a volume source...) that the hand-written
// encoders drop fails here by its name.
func TestPodEncodersKnowEveryField(t *testing.T) {
	none := func(string) bool { return false }
	for _, root := range []struct {
		name   string
		fields []codectest.Field
		encode func(f codectest.Field, fill func(reflect.Value)) string
	}{
		{"containers[]", codectest.Fields(reflect.TypeFor[corev1.Container](), none), func(f codectest.Field, fill func(reflect.Value)) string {
			var c corev1.Container
			f.Set(&c, fill)
			return sameAsMarshal(&c, func() ([]byte, error) { return appendContainer(nil, &c) })
		}},
		{"volumes[]", codectest.Fields(reflect.TypeFor[corev1.Volume](), none), func(f codectest.Field, fill func(reflect.Value)) string {
			var v corev1.Volume
			f.Set(&v, fill)
			return sameAsMarshal(&v, func() ([]byte, error) { return appendVolume(nil, &v) })
		}},
	} {
		if len(root.fields) < 50 {
			t.Fatalf("only %d fields found in %s", len(root.fields), root.name)
		}
		for i, f := range root.fields {
			filler := podFiller(int64(i))
			msg := root.encode(f, func(v reflect.Value) {
				for try := 0; try < 20 && v.IsZero(); try++ {
					filler.Fill(v.Addr().Interface())
				}
			})
			if msg != "" {
				t.Errorf("%s.%s: not written as json.Marshal writes it; teach webhooks/pod/containerjson.go or volumejson.go the field: %s", root.name, f.Path, msg)
			}
		}
	}
}

// sameAsMarshal compares what encode writes with json.Marshal of v; it returns the difference, or "".
func sameAsMarshal(v any, encode func() ([]byte, error)) string {
	want, wantErr := json.Marshal(v)
	got, err := encode()
	switch {
	case (err != nil) != (wantErr != nil):
		return "error " + errText(err) + ", json.Marshal's " + errText(wantErr)
	case !bytes.Equal(got, want):
		return "the encoder wrote\n" + string(got) + "\njson.Marshal\n" + string(want)
	}
	return ""
}

func errText(err error) string {
	if err == nil {
		return "none"
	}
	return err.Error()
}
