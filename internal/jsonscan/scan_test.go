package jsonscan_test

import (
	"encoding/json"
	"testing"

	"github.com/objectstore-webhook/objectstore-webhook/internal/jsonscan"
)

// FuzzValid: the scanner takes exactly what encoding/json.Valid takes, so that the decoders built on it
// never accept what the plain decoder refuses as JSON.
//
//	go test ./webhooks/admission/jsonscan -run '^$' -fuzz FuzzValid -fuzztime 60s
func FuzzValid(f *testing.F) {
	for _, s := range []string{
		``, `null`, ` {"a":[1,-0.5e+3,"x\u00e9\n",true,false,null,{}]} `, `{"a":1,}`, `[01]`, `[1.]`, `[.5]`, `[1e]`,
		`"\x"`, "\"\t\"", `"\ud83d\ude00"`, `{"a" 1}`, `[1 2]`, `{"a":1}}`, `tru`, `"abc`, "\"\xff\"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		end := jsonscan.SkipValue(b, 0, 0)
		got := end >= 0 && jsonscan.SkipSpace(b, end) == len(b)
		if want := json.Valid(b); got != want {
			t.Fatalf("scanner says valid=%v, encoding/json says %v for %q", got, want, b)
		}
	})
}
