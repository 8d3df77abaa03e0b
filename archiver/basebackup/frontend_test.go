package basebackup

import (
	"bytes"
	"io"
	"net"
	"testing"

	"github.com/jackc/pgx/v5/pgproto3"
)

// copyDataStream is n of the walsender's archive messages: CopyData of 'd' and 32 KiB, then CopyDone.
func copyDataStream(tb testing.TB, n int) []byte {
	tb.Helper()
	payload := append([]byte{'d'}, bytes.Repeat([]byte{7}, 32<<10)...)
	var out []byte
	var err error
	for range n {
		if out, err = (&pgproto3.CopyData{Data: payload}).Encode(out); err != nil {
			tb.Fatal(err)
		}
	}
	if out, err = (&pgproto3.CopyDone{}).Encode(out); err != nil {
		tb.Fatal(err)
	}
	return out
}

// loopback sends stream over a TCP connection on 127.0.0.1 and returns the receiving end.
func loopback(tb testing.TB, stream []byte) net.Conn {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		_, _ = c.Write(stream)
	}()
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}

// receiveAll reads CopyData messages to the CopyDone and returns the archive bytes they carried.
func receiveAll(f *pgproto3.Frontend) (int64, error) {
	var n int64
	for {
		msg, err := f.Receive()
		if err != nil {
			return n, err
		}
		switch m := msg.(type) {
		case *pgproto3.CopyData:
			n += int64(len(m.Data) - 1)
		case *pgproto3.CopyDone:
			return n, nil
		}
	}
}

// TestReplFrontend: the buffered frontend reads every message whole.
func TestReplFrontend(t *testing.T) {
	const msgs = 200
	c := loopback(t, copyDataStream(t, msgs))
	n, err := receiveAll(replFrontend(c, io.Discard))
	if err != nil || n != msgs*32<<10 {
		t.Fatalf("received %d bytes (%v), want %d", n, err, msgs*32<<10)
	}
}

// BenchmarkReceive reads 64 MiB of archive messages from loopback TCP with pgproto3's own 8 KiB buffer
// and with the replication connection's: go test -run '^$' -bench Receive -count 8 ./archiver/basebackup/
func BenchmarkReceive(b *testing.B) {
	const msgs = 2048
	stream := copyDataStream(b, msgs)
	for _, tc := range []struct {
		name string
		new  func(io.Reader, io.Writer) *pgproto3.Frontend
	}{{"pgproto3-8KiB", pgproto3.NewFrontend}, {"repl-1MiB", replFrontend}} {
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(msgs * 32 << 10)
			for b.Loop() {
				c := loopback(b, stream)
				if _, err := receiveAll(tc.new(c, io.Discard)); err != nil {
					b.Fatal(err)
				}
				c.Close()
			}
		})
	}
}
