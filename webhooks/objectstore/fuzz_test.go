package objectstore

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	v1 "github.com/objectstore-webhook/objectstore-webhook/schema/barmancloud/v1"
)

// FuzzValidate: any ObjectStore decoded from JSON, against the test Secrets and in each secret-checks mode,
// must not panic, and every message must respect the limits and never carry a Secret's value.
func FuzzValidate(f *testing.F) {
	for _, c := range allCases() {
		b, err := json.Marshal(c.obj)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, uint8(c.checks))
	}
	f.Add([]byte(`{"spec":{"configuration":{"destinationPath":"https://\u2028\u0000/x/y","azureCredentials":{}}}}`), uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, mode uint8) {
		var obj v1.ObjectStore
		if err := json.Unmarshal(data, &obj); err != nil {
			return
		}
		obj.Namespace = "db"
		opts := testOptions()
		opts.SecretChecks = SecretChecks(mode % 3)
		errs, warns := Validate(context.Background(), s3Keys(), &obj, testSecrets(), opts)
		if bytes.Contains(data, []byte(planted)) || bytes.Contains(data, []byte("sig=")) {
			return // the input itself carries the marker; a message quoting the object is no leak
		}
		checkMessages(t, errs, warns)
	})
}
