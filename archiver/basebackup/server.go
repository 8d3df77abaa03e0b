package basebackup

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
)

// replFrontend reads the replication connection through a MiB of buffer.
func replFrontend(r io.Reader, w io.Writer) *pgproto3.Frontend {
	return pgproto3.NewFrontend(bufio.NewReaderSize(r, 1<<20), w)
}

// connect opens the SQL connection (database postgres) and the replication connection.
func connect(ctx context.Context, base *pgconn.Config) (sqlConn, replConn *pgconn.PgConn, err error) {
	if base == nil {
		return nil, nil, fmt.Errorf("no PostgreSQL connection configuration")
	}
	sc := base.Copy()
	sc.RuntimeParams = map[string]string{}
	for k, v := range base.RuntimeParams {
		if k != "replication" {
			sc.RuntimeParams[k] = v
		}
	}
	sc.Database = "postgres"
	if sc.RuntimeParams["application_name"] == "" {
		sc.RuntimeParams["application_name"] = "wal-archiver-backup"
	}
	rc := sc.Copy()
	rc.RuntimeParams["replication"] = "true"
	// The walsender sends the archives in 32 KiB CopyData messages, and pgproto3 reads through an 8 KiB
	// buffer: each message took two or three read(2)s and a swap of buffers. With a MiB in front, one
	// read(2) takes what the socket holds: 5–11 % less of the backup's CPU (docs/benchmarks.md).
	rc.BuildFrontend = replFrontend
	if sqlConn, err = pgconn.ConnectConfig(ctx, sc); err != nil {
		return nil, nil, fmt.Errorf("connecting to database postgres (for the server's clock and tablespace names): %w", err)
	}
	if replConn, err = pgconn.ConnectConfig(ctx, rc); err != nil {
		sqlConn.Close(context.Background())
		return nil, nil, fmt.Errorf("connecting for replication (BASE_BACKUP): %w", err)
	}
	return sqlConn, replConn, nil
}

// server is what backup.info needs that BASE_BACKUP does not send.
type server struct {
	now         time.Time
	version     int64
	segSize     uint64
	inRecovery  bool
	settings    map[string]string // data_directory, config_file, hba_file, ident_file: those the role may read
	tablespaces map[uint32]string // oid -> name
}

func describe(ctx context.Context, c *pgconn.PgConn) (server, error) {
	s := server{settings: map[string]string{}, tablespaces: map[uint32]string{}}
	rows, err := query(ctx, c, "SELECT now(), current_setting('server_version_num'), pg_is_in_recovery(), "+
		"(SELECT setting FROM pg_settings WHERE name = 'wal_segment_size')")
	if err != nil {
		return s, err
	}
	if len(rows) != 1 || len(rows[0]) != 4 {
		return s, fmt.Errorf("describing the server: unexpected answer")
	}
	if s.now, err = parseTimestamptz(rows[0][0]); err != nil {
		return s, err
	}
	if s.version, err = strconv.ParseInt(rows[0][1], 10, 64); err != nil || s.version < 150000 {
		return s, fmt.Errorf("server_version_num %q: PostgreSQL 15 or later is required for BASE_BACKUP's options", rows[0][1])
	}
	s.inRecovery = rows[0][2] == "t"
	seg, err := strconv.ParseUint(rows[0][3], 10, 64)
	if err != nil || seg < 1<<20 || seg&(seg-1) != 0 {
		return s, fmt.Errorf("wal_segment_size %q (bytes) is not a power of two of at least 1 MiB", rows[0][3])
	}
	s.segSize = seg
	// Rows the role may not read (data_directory is for superusers and pg_read_all_settings) are simply
	// absent; backup.info then says None, as it may.
	rows, err = query(ctx, c, "SELECT name, setting FROM pg_settings WHERE name IN ('data_directory', 'config_file', 'hba_file', 'ident_file')")
	if err != nil {
		return s, err
	}
	for _, r := range rows {
		s.settings[r[0]] = r[1]
	}
	rows, err = query(ctx, c, "SELECT oid, spcname FROM pg_tablespace")
	if err != nil {
		return s, err
	}
	for _, r := range rows {
		oid, err := strconv.ParseUint(r[0], 10, 32)
		if err != nil {
			return s, fmt.Errorf("pg_tablespace oid %q", r[0])
		}
		s.tablespaces[uint32(oid)] = r[1]
	}
	return s, nil
}

func serverNow(ctx context.Context, c *pgconn.PgConn) (time.Time, error) {
	rows, err := query(ctx, c, "SELECT now()")
	if err != nil {
		return time.Time{}, err
	}
	if len(rows) != 1 || len(rows[0]) != 1 {
		return time.Time{}, fmt.Errorf("SELECT now(): unexpected answer")
	}
	return parseTimestamptz(rows[0][0])
}

// query runs sql in UTC text format and returns the rows as strings.
func query(ctx context.Context, c *pgconn.PgConn, sql string) ([][]string, error) {
	res, err := c.Exec(ctx, "SET TIME ZONE 'UTC'; SET DateStyle = 'ISO'; "+sql).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", sql, err)
	}
	last := res[len(res)-1]
	out := make([][]string, len(last.Rows))
	for i, r := range last.Rows {
		out[i] = make([]string, len(r))
		for j, v := range r {
			out[i][j] = string(v)
		}
	}
	return out, nil
}

// parseTimestamptz reads now() in ISO style at UTC: 2026-12-02 17:10:11.123456+00.
func parseTimestamptz(s string) (time.Time, error) {
	t, err := time.Parse("2006-01-02 15:04:05.999999-07", s)
	if err != nil {
		return time.Time{}, fmt.Errorf("the server's time %q: %w", s, err)
	}
	return t.UTC(), nil
}
