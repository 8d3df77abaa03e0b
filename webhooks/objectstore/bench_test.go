package objectstore

import (
	"context"
	"testing"

	v1 "github.com/objectstore-webhook/objectstore-webhook/schema/barmancloud/v1"
)

// typicalS3 is what most stores look like: keys in a Secret, a retention policy, compression and a tag.
func typicalS3() *v1.ObjectStore {
	o := s3Keys()
	o.Spec.RetentionPolicy = "30d"
	o.Spec.Configuration.Wal = &v1.WalBackupConfiguration{Compression: v1.CompressionTypeGzip, MaxParallel: intp(4)}
	o.Spec.Configuration.Data = &v1.DataBackupConfiguration{Compression: v1.CompressionTypeGzip}
	o.Spec.Configuration.Tags = map[string]string{"team": "db"}
	o.Spec.Configuration.AWS.RegionReference = ref("aws-creds", "REGION")
	return o
}

func BenchmarkValidate(b *testing.B) {
	ctx, obj, secrets, opts := context.Background(), typicalS3(), testSecrets(), testOptions()
	if errs, warns := Validate(ctx, nil, obj, secrets, opts); len(errs)+len(warns) > 0 {
		b.Fatal(errs, warns)
	}
	b.ReportAllocs()
	for b.Loop() {
		Validate(ctx, obj, obj, secrets, opts)
	}
}

// TestValidateAllocations: a valid store costs no allocation, which keeps the webhook within its budget.
func TestValidateAllocations(t *testing.T) {
	ctx, obj, secrets, opts := context.Background(), typicalS3(), testSecrets(), testOptions()
	if n := testing.AllocsPerRun(100, func() { Validate(ctx, obj, obj, secrets, opts) }); n > 0 {
		t.Fatalf("%v allocations per valid review, want 0", n)
	}
}
