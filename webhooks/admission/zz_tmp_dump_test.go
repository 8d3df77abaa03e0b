package admission_test

import (
	"os"
	"testing"
)

func TestTmpDump(t *testing.T) { os.WriteFile("/tmp/review.json", []byte(storeReview), 0o644) }
