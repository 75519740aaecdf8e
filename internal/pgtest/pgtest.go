// Package pgtest runs a real, throwaway PostgreSQL server for tests, started
// from the machine's binaries (initdb and pg_ctl from
// /usr/lib/postgresql/<version>/bin, the newest version found, or from the
// directory in $GATEHOUSE_PG_BIN) into a temporary directory, listening on a
// free loopback port with trust authentication and fsync off.
//
// PostgreSQL refuses to run as root, so when the tests run as root the server
// runs as the "postgres" user, which then owns the temporary directory.
//
// A test package calls Main from its TestMain; the first call to Shared or
// NewSchema in the process starts the shared server and Main stops it after
// the tests. New gives one test a server of its own. The tests never skip: a machine without the binaries fails them with
// a message saying what to install.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Server is a running PostgreSQL cluster owned by the test process.
type Server struct {
	dir  string // temporary root: data/, socket and log
	bin  string // directory of initdb, pg_ctl and postgres
	port int
	cred *syscall.Credential // the postgres user's, when running as root
}

var (
	shared     *Server
	sharedErr  error
	sharedOnce sync.Once
	schemas    atomic.Int64
)

// Main runs the package's tests and stops the shared server, if one was
// started, before exiting. Call it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	if shared != nil {
		if err := shared.Destroy(); err != nil {
			fmt.Fprintln(os.Stderr, "pgtest:", err)
		}
	}
	os.Exit(code)
}

// Shared returns the process's shared server, starting it on first use. It
// fails t when PostgreSQL cannot be started.
func Shared(t testing.TB) *Server {
	t.Helper()
	sharedOnce.Do(func() { shared, sharedErr = Start() })
	if sharedErr != nil {
		t.Fatalf("pgtest: %v", sharedErr)
	}
	return shared
}

// NewSchema returns the URL of the shared server's database and the name of a
// new, empty schema in it, unique in the process. Stores opened on different
// schemas share nothing, so every test can have a fresh one cheaply.
func NewSchema(t testing.TB) (url, schema string) {
	t.Helper()
	s := Shared(t)
	return s.URL(), fmt.Sprintf("t%d_%d", os.Getpid(), schemas.Add(1))
}

// New starts a private server for one test, destroyed when the test ends:
// for tests that stop and restart it, and for packages without Main.
func New(t testing.TB) *Server {
	t.Helper()
	s, err := Start()
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Destroy(); err != nil {
			t.Errorf("pgtest: %v", err)
		}
	})
	return s
}

// Start creates a new cluster in a temporary directory and starts it.
// Destroy stops it and removes the directory.
func Start() (*Server, error) {
	bin, err := findBin()
	if err != nil {
		return nil, err
	}
	s := &Server{bin: bin}
	if os.Geteuid() == 0 {
		if s.cred, err = postgresUser(); err != nil {
			return nil, err
		}
	}
	base := os.TempDir()
	if s.cred != nil && !traversable(base) {
		base = "/tmp" // the postgres user must reach the directory
	}
	if s.dir, err = os.MkdirTemp(base, "gatehouse-pg-"); err != nil {
		return nil, err
	}
	if s.cred != nil {
		if err := os.Chown(s.dir, int(s.cred.Uid), int(s.cred.Gid)); err != nil {
			s.Destroy()
			return nil, err
		}
	}
	if err := s.run("initdb", "-D", s.data(), "-U", "postgres", "-A", "trust", "-E", "UTF8",
		"--locale=C", "--no-sync", "--no-instructions"); err != nil {
		s.Destroy()
		return nil, err
	}
	if err := s.Restart(); err != nil {
		s.Destroy()
		return nil, err
	}
	return s, nil
}

// URL is the connection URL of the cluster's "postgres" database.
func (s *Server) URL() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", s.port)
}

// Restart starts the server when it is stopped, on the port it had (a new
// free port on the first start).
func (s *Server) Restart() error {
	if s.port == 0 {
		port, err := freePort()
		if err != nil {
			return err
		}
		s.port = port
	}
	opts := strings.Join([]string{
		"-p", strconv.Itoa(s.port), "-k", s.dir, "-c", "listen_addresses=127.0.0.1",
		"-c", "fsync=off", "-c", "full_page_writes=off",
		"-c", "max_connections=300", "-c", "shared_buffers=32MB",
	}, " ")
	if err := s.run("pg_ctl", "start", "-w", "-t", "120", "-D", s.data(), "-l", filepath.Join(s.dir, "log"), "-o", opts); err != nil {
		return err
	}
	return s.waitReady()
}

// Stop stops the server at once (immediate shutdown, as a crash would),
// keeping its data for Restart.
func (s *Server) Stop() error {
	return s.run("pg_ctl", "stop", "-w", "-m", "immediate", "-D", s.data())
}

// Destroy stops the server if it runs and removes its directory.
func (s *Server) Destroy() error {
	var err error
	if _, statErr := os.Stat(filepath.Join(s.data(), "postmaster.pid")); statErr == nil {
		err = s.Stop()
	}
	return errors.Join(err, os.RemoveAll(s.dir))
}

func (s *Server) data() string { return filepath.Join(s.dir, "data") }

// waitReady connects until the server answers a query.
func (s *Server) waitReady() error {
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		conn, err := pgx.Connect(ctx, s.URL())
		if err == nil {
			_, err = conn.Exec(ctx, "SELECT 1")
			conn.Close(ctx)
		}
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("postgres on port %d does not answer: %w\n%s", s.port, err, s.log())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// log returns the tail of the server's log, for error messages.
func (s *Server) log() string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "log"))
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// run runs one of the cluster's programs as the cluster's owner.
func (s *Server) run(name string, args ...string) error {
	cmd := exec.Command(filepath.Join(s.bin, name), args...)
	cmd.Dir = s.dir
	cmd.Env = append(os.Environ(), "LC_ALL=C", "LANG=C")
	if s.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred}
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %w\n%s\n%s", name, strings.Join(args, " "), err, out, s.log())
	}
	return nil
}

// findBin returns the directory with the PostgreSQL server programs.
func findBin() (string, error) {
	if dir := os.Getenv("GATEHOUSE_PG_BIN"); dir != "" {
		return dir, nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int { return versionOf(b) - versionOf(a) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", errors.New("no PostgreSQL server binaries (initdb, pg_ctl) in /usr/lib/postgresql/*/bin or on PATH: " +
		"install them (Debian: apt-get install postgresql) or set GATEHOUSE_PG_BIN to their directory")
}

// versionOf reads the major version from /usr/lib/postgresql/<v>/bin.
func versionOf(dir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return v
}

// postgresUser returns the credential of the "postgres" system user.
func postgresUser() (*syscall.Credential, error) {
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root needs a postgres system user to run PostgreSQL: %w", err)
	}
	uid, err1 := strconv.Atoi(u.Uid)
	gid, err2 := strconv.Atoi(u.Gid)
	if err := errors.Join(err1, err2); err != nil {
		return nil, err
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// traversable reports whether every directory from dir up to the root lets
// other users through (the x bit for others).
func traversable(dir string) bool {
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil || fi.Mode().Perm()&0o001 == 0 {
			return false
		}
		if d == filepath.Dir(d) {
			return true
		}
	}
}

// freePort asks the kernel for a free loopback TCP port.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
