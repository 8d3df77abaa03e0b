package main

import (
	"bytes"
	"testing"
)

func TestPrefixedMarksEveryLineOnce(t *testing.T) {
	var out bytes.Buffer
	w := prefixed(&out, "webhook: ")
	for _, chunk := range []string{"first line\nsecond ", "line continued\n", "\n", "last without newline"} {
		if n, err := w.Write([]byte(chunk)); err != nil || n != len(chunk) {
			t.Fatalf("Write(%q) = %d, %v", chunk, n, err)
		}
	}
	want := "webhook: first line\nwebhook: second line continued\nwebhook: \nwebhook: last without newline"
	if out.String() != want {
		t.Errorf("got\n%q\nwant\n%q", out.String(), want)
	}
}
