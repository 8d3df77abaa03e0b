package basebackup

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/layout"
)

// command is BASE_BACKUP in PostgreSQL 15's option syntax. TARGET 'client' sends every archive in one
// COPY stream, each introduced by its name ('n'), which the legacy form (one COPY per archive, in the
// order of the tablespace list) leaves implicit. WAL false: the archive is the stream's, as with
// barman-cloud. WAIT false: the server would wait for archive_command's .done files, and in a
// CloudNativePG pod with this archiver that command is not what stores the WAL; the backup waits for
// its end segment in the store itself (Config.WALTimeout). No TABLESPACE_MAP (barman-cloud-restore
// makes the pg_tblspc links, a map would override its relocation) and no manifest (barman keeps none).
func command(label string, fast bool) string {
	checkpoint := "spread"
	if fast {
		checkpoint = "fast"
	}
	return fmt.Sprintf("BASE_BACKUP (LABEL '%s', CHECKPOINT '%s', WAL false, WAIT false, TARGET 'client', MANIFEST 'no', TABLESPACE_MAP false)",
		strings.ReplaceAll(label, "'", "''"), checkpoint)
}

// position is a start or end row of BASE_BACKUP: an LSN and its timeline.
type position struct {
	LSN      uint64
	Timeline uint32
}

// serverTablespace is a row of BASE_BACKUP's tablespace list (the main data directory excluded).
type serverTablespace struct {
	OID      uint32
	Location string
}

// archiveHandler receives the archives: start(name, tablespace location) begins one, data continues
// it (the slice is valid only during the call), and end closes the one in progress.
type archiveHandler interface {
	start(name, location string) error
	data(b []byte) error
	end() error
}

// reader follows BASE_BACKUP's messages on a connection that has sent the command.
type reader struct {
	conn *pgconn.PgConn
}

func (r reader) receive(ctx context.Context) (pgproto3.BackendMessage, error) {
	for {
		msg, err := r.conn.ReceiveMessage(ctx)
		if err != nil {
			return nil, fmt.Errorf("BASE_BACKUP: %w", err)
		}
		switch m := msg.(type) {
		case *pgproto3.NoticeResponse, *pgproto3.ParameterStatus:
			continue
		case *pgproto3.ErrorResponse:
			return nil, fmt.Errorf("BASE_BACKUP: %w", pgconn.ErrorResponseToPgError(m))
		}
		return msg, nil
	}
}

// resultSet reads one result set up to its CommandComplete and returns its rows.
func (r reader) resultSet(ctx context.Context, what string) ([][][]byte, error) {
	var rows [][][]byte
	for {
		msg, err := r.receive(ctx)
		if err != nil {
			return nil, err
		}
		switch m := msg.(type) {
		case *pgproto3.RowDescription:
		case *pgproto3.DataRow:
			row := make([][]byte, len(m.Values))
			for i, v := range m.Values {
				if v != nil {
					row[i] = bytes.Clone(v)
				}
			}
			rows = append(rows, row)
		case *pgproto3.CommandComplete:
			return rows, nil
		default:
			return nil, fmt.Errorf("BASE_BACKUP: unexpected %T while reading the %s", msg, what)
		}
	}
}

func (r reader) position(ctx context.Context, what string) (position, error) {
	rows, err := r.resultSet(ctx, what)
	if err != nil {
		return position{}, err
	}
	if len(rows) != 1 || len(rows[0]) != 2 {
		return position{}, fmt.Errorf("BASE_BACKUP: the %s is not one row of (recptr, tli)", what)
	}
	lsn, err := layout.ParseLSN(string(rows[0][0]))
	if err != nil {
		return position{}, fmt.Errorf("BASE_BACKUP %s: %w", what, err)
	}
	tli, err := strconv.ParseUint(string(rows[0][1]), 10, 32)
	if err != nil || tli == 0 {
		return position{}, fmt.Errorf("BASE_BACKUP %s: timeline %q", what, rows[0][1])
	}
	return position{LSN: lsn, Timeline: uint32(tli)}, nil
}

func (r reader) tablespaces(ctx context.Context) ([]serverTablespace, error) {
	rows, err := r.resultSet(ctx, "tablespace list")
	if err != nil {
		return nil, err
	}
	var out []serverTablespace
	for _, row := range rows {
		if len(row) < 2 {
			return nil, fmt.Errorf("BASE_BACKUP: a tablespace row has %d columns, want spcoid, spclocation, size", len(row))
		}
		if row[0] == nil { // the main data directory
			continue
		}
		oid, err := strconv.ParseUint(string(row[0]), 10, 32)
		if err != nil {
			return nil, fmt.Errorf("BASE_BACKUP: tablespace OID %q", row[0])
		}
		out = append(out, serverTablespace{OID: uint32(oid), Location: string(row[1])})
	}
	return out, nil
}

// copyStream reads the single COPY of TARGET 'client' to its CopyDone, handing the archives to h.
func (r reader) copyStream(ctx context.Context, h archiveHandler) error {
	msg, err := r.receive(ctx)
	if err != nil {
		return err
	}
	if _, ok := msg.(*pgproto3.CopyOutResponse); !ok {
		return fmt.Errorf("BASE_BACKUP: unexpected %T where the archives' COPY should start", msg)
	}
	open := false
	for {
		msg, err := r.receive(ctx)
		if err != nil {
			return err
		}
		switch m := msg.(type) {
		case *pgproto3.CopyData:
			if len(m.Data) == 0 {
				continue
			}
			switch m.Data[0] {
			case 'n':
				name, location, ok := twoStrings(m.Data[1:])
				if !ok {
					return fmt.Errorf("BASE_BACKUP: malformed new-archive message")
				}
				if open {
					if err := h.end(); err != nil {
						return &handlerError{err}
					}
				}
				if err := h.start(name, location); err != nil {
					return &handlerError{err}
				}
				open = true
			case 'd':
				if !open {
					return fmt.Errorf("BASE_BACKUP: archive data before any archive began")
				}
				if err := h.data(m.Data[1:]); err != nil {
					return &handlerError{err}
				}
			case 'p':
				if len(m.Data) != 9 {
					return fmt.Errorf("BASE_BACKUP: malformed progress message")
				}
				_ = binary.BigEndian.Uint64(m.Data[1:])
			case 'm':
				return fmt.Errorf("BASE_BACKUP: the server sent a manifest, which was not asked for")
			default:
				return fmt.Errorf("BASE_BACKUP: unknown COPY message type %q", m.Data[0])
			}
		case *pgproto3.CopyDone:
			if open {
				if err := h.end(); err != nil {
					return &handlerError{err}
				}
			}
			return nil
		default:
			return fmt.Errorf("BASE_BACKUP: unexpected %T inside the archives' COPY", msg)
		}
	}
}

// finish reads what follows the end position: the command's completion and ReadyForQuery.
func (r reader) finish(ctx context.Context) error {
	for {
		msg, err := r.receive(ctx)
		if err != nil {
			return err
		}
		switch msg.(type) {
		case *pgproto3.CommandComplete:
		case *pgproto3.ReadyForQuery:
			return nil
		default:
			return fmt.Errorf("BASE_BACKUP: unexpected %T after the end position", msg)
		}
	}
}

// handlerError is an error of the archives' receiver (the upload side), not of the server.
type handlerError struct{ err error }

func (e *handlerError) Error() string { return e.err.Error() }
func (e *handlerError) Unwrap() error { return e.err }

func twoStrings(b []byte) (string, string, bool) {
	a, rest, ok := bytes.Cut(b, []byte{0})
	if !ok {
		return "", "", false
	}
	c, _, ok := bytes.Cut(rest, []byte{0})
	return string(a), string(c), ok
}
