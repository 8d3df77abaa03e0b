package testservers

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// PGBinDir returns PG_BINDIR, or the newest /usr/lib/postgresql/*/bin; it fails the test when the
// PostgreSQL server binaries are not there.
func PGBinDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("PG_BINDIR")
	if dir == "" {
		dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
		sort.Slice(dirs, func(i, j int) bool { return pgMajor(dirs[i]) < pgMajor(dirs[j]) })
		if len(dirs) > 0 {
			dir = dirs[len(dirs)-1]
		}
	}
	for _, b := range []string{"initdb", "pg_ctl", "postgres", "pg_basebackup", "pgbench", "psql"} {
		if _, err := os.Stat(filepath.Join(dir, b)); err != nil {
			t.Fatalf("testservers: PostgreSQL binary %s not found in %q: set PG_BINDIR or run `hack/tools/install.sh postgresql`", b, dir)
		}
	}
	return dir
}

func pgMajor(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

// PostgresOptions configure a PostgreSQL instance.
type PostgresOptions struct {
	// WALSegSizeMB is initdb's --wal-segsize; 1 (the default here) keeps tests fast.
	WALSegSizeMB int
	// Conf lines are appended to postgresql.conf.
	Conf []string
	// Env is added to the server's environment (restore_command inherits it).
	Env []string
}

// Postgres is a PostgreSQL data directory under a temporary directory owned by the postgres OS user
// (initdb refuses to run as root), listening on 127.0.0.1 and on a unix socket in that directory.
type Postgres struct {
	BinDir  string
	Dir     string
	DataDir string
	Port    int
	SegSize uint64
	opts    PostgresOptions
	running bool
}

// NewPostgresDir creates the temporary directory and registers its removal and the server's stop.
func NewPostgresDir(t testing.TB, opts PostgresOptions) *Postgres {
	t.Helper()
	if opts.WALSegSizeMB == 0 {
		opts.WALSegSizeMB = 1
	}
	dir, err := os.MkdirTemp("", "pgtest-")
	if err != nil {
		t.Fatal(err)
	}
	p := &Postgres{BinDir: PGBinDir(t), Dir: dir, DataDir: filepath.Join(dir, "data"), Port: FreePort(t),
		SegSize: uint64(opts.WALSegSizeMB) << 20, opts: opts}
	chownPostgres(t, dir)
	t.Cleanup(func() {
		if p.running {
			_ = p.ctl("stop", "-m", "immediate", "-w", "-t", "30")
		}
		if t.Failed() {
			t.Logf("testservers: PostgreSQL log (%s):\n%s", p.DataDir, tail(filepath.Join(dir, "postgres.log"), 8000))
		}
		_ = os.RemoveAll(dir)
	})
	return p
}

// StartPostgres initialises and starts a primary.
func StartPostgres(t testing.TB, opts PostgresOptions) *Postgres {
	t.Helper()
	p := InitPostgres(t, opts)
	p.Start(t)
	return p
}

// InitPostgres initialises and configures a primary without starting it: a test of a client that must
// wait for a server that is not up yet knows its port in advance.
func InitPostgres(t testing.TB, opts PostgresOptions) *Postgres {
	t.Helper()
	p := NewPostgresDir(t, opts)
	p.run(t, "initdb", "-D", p.DataDir, "-U", "postgres", "-A", "trust", "--no-sync",
		fmt.Sprintf("--wal-segsize=%d", p.opts.WALSegSizeMB))
	p.Configure(t)
	return p
}

// StartStandby takes a base backup of primary and starts it as a streaming standby of it.
func StartStandby(t testing.TB, primary *Postgres, opts PostgresOptions) *Postgres {
	t.Helper()
	opts.WALSegSizeMB = int(primary.SegSize >> 20)
	p := NewPostgresDir(t, opts)
	p.run(t, "pg_basebackup", "-h", "127.0.0.1", "-p", strconv.Itoa(primary.Port), "-U", "postgres",
		"-D", p.DataDir, "-X", "stream", "-R", "--no-sync")
	p.Configure(t)
	p.Start(t)
	return p
}

// Configure appends the test settings (port, sockets, replication) and opts.Conf to postgresql.conf.
func (p *Postgres) Configure(t testing.TB) {
	t.Helper()
	lines := []string{
		"listen_addresses = '127.0.0.1'",
		fmt.Sprintf("port = %d", p.Port),
		fmt.Sprintf("unix_socket_directories = '%s'", p.Dir),
		"wal_level = replica",
		"max_wal_senders = 10",
		"max_replication_slots = 10",
		"hot_standby = on",
		"fsync = off",
		"full_page_writes = on",
		"log_line_prefix = '%m [%p] '",
	}
	lines = append(lines, p.opts.Conf...)
	f, err := os.OpenFile(filepath.Join(p.DataDir, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString("\n" + strings.Join(lines, "\n") + "\n"); err != nil {
		t.Fatal(err)
	}
}

// AppendConf adds lines to postgresql.conf (takes effect at the next start).
func (p *Postgres) AppendConf(t testing.TB, lines ...string) {
	t.Helper()
	p.opts.Conf = nil
	f, err := os.OpenFile(filepath.Join(p.DataDir, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString("\n" + strings.Join(lines, "\n") + "\n"); err != nil {
		t.Fatal(err)
	}
}

// Start starts the server and waits until it accepts connections.
func (p *Postgres) Start(t testing.TB) {
	t.Helper()
	if err := p.ctl("start", "-l", filepath.Join(p.Dir, "postgres.log"), "-w", "-t", "120"); err != nil {
		t.Fatalf("testservers: starting PostgreSQL: %v\n%s", err, tail(filepath.Join(p.Dir, "postgres.log"), 4000))
	}
	p.running = true
}

// Stop stops the server with the pg_ctl shutdown mode (smart, fast or immediate).
func (p *Postgres) Stop(t testing.TB, mode string) {
	t.Helper()
	if err := p.ctl("stop", "-m", mode, "-w", "-t", "120"); err != nil {
		t.Fatalf("testservers: stopping PostgreSQL: %v", err)
	}
	p.running = false
}

// Promote ends recovery on a standby and waits for it to accept writes.
func (p *Postgres) Promote(t testing.TB) {
	t.Helper()
	if err := p.ctl("promote", "-w", "-t", "120"); err != nil {
		t.Fatalf("testservers: promoting: %v", err)
	}
}

func (p *Postgres) ctl(args ...string) error {
	cmd := asPostgres(p.opts.Env, filepath.Join(p.BinDir, "pg_ctl"), append(args[:1:1], append([]string{"-D", p.DataDir}, args[1:]...)...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("pg_ctl %s: %v: %s", args[0], err, out)
	}
	return nil
}

// run runs a PostgreSQL client program as the postgres user, failing the test on error.
func (p *Postgres) run(t testing.TB, prog string, args ...string) string {
	t.Helper()
	out, err := asPostgres(nil, filepath.Join(p.BinDir, prog), args...).CombinedOutput()
	if err != nil {
		t.Fatalf("testservers: %s %s: %v\n%s", prog, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// Command returns prog from the PostgreSQL bin dir as an unstarted command running as the postgres user
// (pgbench, pg_basebackup, psql…); the caller starts and stops it.
func (p *Postgres) Command(ctx context.Context, prog string, args ...string) *exec.Cmd {
	cmd := asPostgres(nil, filepath.Join(p.BinDir, prog), args...)
	return exec.CommandContext(ctx, cmd.Path, cmd.Args[1:]...)
}

// Run runs a PostgreSQL client program against this server's port, failing the test on error.
func (p *Postgres) Run(t testing.TB, prog string, args ...string) string {
	t.Helper()
	return p.run(t, prog, append([]string{"-h", "127.0.0.1", "-p", strconv.Itoa(p.Port), "-U", "postgres"}, args...)...)
}

// ConnString is a libpq keyword/value connection string for the server.
func (p *Postgres) ConnString() string {
	return fmt.Sprintf("host=127.0.0.1 port=%d user=postgres dbname=postgres sslmode=disable", p.Port)
}

// SQL runs a query and returns the first column of the first row ("" when there is none).
func (p *Postgres) SQL(t testing.TB, query string) string {
	t.Helper()
	out, err := p.TrySQL(query)
	if err != nil {
		t.Fatalf("testservers: %s: %v", query, err)
	}
	return out
}

// TrySQL is SQL that returns the error.
func (p *Postgres) TrySQL(query string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	conn, err := pgconn.Connect(ctx, p.ConnString())
	if err != nil {
		return "", err
	}
	defer conn.Close(context.Background())
	res, err := conn.Exec(ctx, query).ReadAll()
	if err != nil {
		return "", err
	}
	for i := len(res) - 1; i >= 0; i-- {
		if len(res[i].Rows) > 0 && len(res[i].Rows[0]) > 0 {
			return string(res[i].Rows[0][0]), nil
		}
	}
	return "", nil
}

// asPostgres runs bin as the postgres OS user when the test runs as root.
func asPostgres(env []string, bin string, args ...string) *exec.Cmd {
	var cmd *exec.Cmd
	if os.Geteuid() == 0 {
		cmd = exec.Command("runuser", append([]string{"-u", "postgres", "--", bin}, args...)...)
	} else {
		cmd = exec.Command(bin, args...)
	}
	cmd.Env = append(os.Environ(), env...)
	return cmd
}

func chownPostgres(t testing.TB, dir string) {
	t.Helper()
	if os.Geteuid() != 0 {
		return
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		t.Fatalf("testservers: running as root needs the postgres OS user (created by the postgresql package): %v", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.Chown(dir, uid, gid); err != nil {
		t.Fatal(err)
	}
}

// ChownPostgres gives dir to the postgres OS user when running as root (for directories PostgreSQL or
// its restore_command must write).
func ChownPostgres(t testing.TB, dir string) { chownPostgres(t, dir) }

func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

// NewBaseBackup takes a pg_basebackup of primary into a new, configured, stopped data directory; args
// are added to pg_basebackup's (e.g. "-X", "none").
func NewBaseBackup(t testing.TB, primary *Postgres, opts PostgresOptions, args ...string) *Postgres {
	t.Helper()
	opts.WALSegSizeMB = int(primary.SegSize >> 20)
	p := NewPostgresDir(t, opts)
	p.run(t, "pg_basebackup", append([]string{"-h", "127.0.0.1", "-p", strconv.Itoa(primary.Port), "-U", "postgres",
		"-D", p.DataDir, "--no-sync"}, args...)...)
	p.Configure(t)
	return p
}

// SetEnv replaces the environment added to the server's (restore_command inherits it); it takes effect
// at the next Start.
func (p *Postgres) SetEnv(env []string) { p.opts.Env = env }
