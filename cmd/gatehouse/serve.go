package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/google/uuid"

	"github.com/gatehouse-iam/gatehouse/audit"
	"github.com/gatehouse-iam/gatehouse/iam"
	"github.com/gatehouse-iam/gatehouse/orgs"
	"github.com/gatehouse-iam/gatehouse/server"
	"github.com/gatehouse-iam/gatehouse/store"
	"github.com/gatehouse-iam/gatehouse/store/postgres"
	"github.com/gatehouse-iam/gatehouse/store/sqlite"
	"github.com/gatehouse-iam/gatehouse/sts"
)

// serveConfig is what `gatehouse serve` is started with.
type serveConfig struct {
	addr, dataDir, account, keyID, secret, partition string
	ephemeral                                        bool
	noAudit                                          bool          // run without the audit trail (benchmarks)
	auditRetention                                   time.Duration // prune older audit records hourly; 0 keeps them
	databaseURL, databaseSchema                      string        // PostgreSQL instead of SQLite: shared by every node
	masterKeyFile                                    string        // the at-rest key, shared by every node
	pollInterval                                     time.Duration // how often a PostgreSQL node polls the change feed
	cpuProfile                                       string        // write a CPU profile here until shutdown
	auditCommitInterval                              time.Duration // least time between audit commits under load
}

// bootstrapFile is kept in the data directory: the first account and its
// root credentials (so that later starts can print them again), and the key
// that encrypts secrets at rest.
type bootstrapFile struct {
	AccountID       string `json:"account_id"`
	AccessKeyID     string `json:"root_access_key_id"`
	SecretAccessKey string `json:"root_secret_access_key"`
	MasterKey       string `json:"master_key"`
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func runServe(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg serveConfig
	home, _ := os.UserHomeDir()
	fs.StringVar(&cfg.addr, "addr", envOr("GATEHOUSE_ADDR", "127.0.0.1:4566"), "listen address HOST:PORT")
	fs.StringVar(&cfg.dataDir, "data-dir", envOr("GATEHOUSE_DATA_DIR", filepath.Join(home, ".gatehouse")), "data directory (SQLite database, keys)")
	fs.BoolVar(&cfg.ephemeral, "ephemeral", false, "keep everything in memory; POST /_gatehouse/reset wipes it")
	fs.StringVar(&cfg.account, "account-id", os.Getenv("GATEHOUSE_ACCOUNT_ID"), "account id of the first account (default: random)")
	fs.StringVar(&cfg.keyID, "root-access-key-id", os.Getenv("GATEHOUSE_ROOT_ACCESS_KEY_ID"), "root access key id (default: generated)")
	fs.StringVar(&cfg.secret, "root-secret-access-key", os.Getenv("GATEHOUSE_ROOT_SECRET_ACCESS_KEY"), "root secret access key (default: generated)")
	fs.StringVar(&cfg.partition, "partition", envOr("GATEHOUSE_PARTITION", "aws"), "ARN partition")
	fs.BoolVar(&cfg.noAudit, "no-audit", false, "record no audit trail (for measuring its cost)")
	fs.DurationVar(&cfg.auditRetention, "audit-retention", 0, "delete audit records older than this, hourly (default: keep forever)")
	fs.DurationVar(&cfg.auditCommitInterval, "audit-commit-interval", audit.DefaultCommitInterval, "under concurrent load, the least time between two audit commits (journal syncs): longer costs less processor time per request and adds that much latency")
	fs.StringVar(&cfg.databaseURL, "database-url", os.Getenv("GATEHOUSE_DATABASE_URL"), "PostgreSQL URL: keep entities and audit there, shared by every node (default: SQLite in --data-dir)")
	fs.StringVar(&cfg.databaseSchema, "database-schema", envOr("GATEHOUSE_DATABASE_SCHEMA", "gatehouse"), "PostgreSQL schema of the entities; the audit trail goes to SCHEMA_audit")
	fs.StringVar(&cfg.masterKeyFile, "master-key-file", os.Getenv("GATEHOUSE_MASTER_KEY_FILE"), "file holding the at-rest master key (base64 of 32 bytes; default: $GATEHOUSE_MASTER_KEY, else the data directory's bootstrap.json)")
	fs.DurationVar(&cfg.pollInterval, "poll-interval", 50*time.Millisecond, "with --database-url: how often to poll the change feed for other nodes' writes")
	fs.StringVar(&cfg.cpuProfile, "cpuprofile", "", "write a Go CPU profile (pprof) to this file until the server stops")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	// Event, request and job IDs are random UUIDs and none is a secret: take
	// their randomness from a buffered pool instead of one read per ID.
	uuid.EnableRandPool()
	if _, set := os.LookupEnv("GOGC"); !set {
		// The live heap is small (the snapshot and caches) and nearly all
		// garbage is per request: collecting when the heap has grown by 4×
		// its live size instead of Go's default 2× means a quarter of the
		// collections, for a little more memory (GetUser in process: about a
		// quarter less processor time per request). GOGC in the environment
		// overrides it.
		debug.SetGCPercent(serveGCPercent)
	}
	if _, set := os.LookupEnv("GOMAXPROCS"); !set && !cfg.noAudit && !cfg.ephemeral && runtime.GOMAXPROCS(0) < minProcs {
		// With one processor (a one-CPU container or CPU affinity), every
		// blocking system call stalls all requests until the runtime's
		// monitor hands the processor on, which can take up to 10 ms, and
		// a durable audit trail makes hundreds a second: the journal's
		// fdatasync, the audit store's writes and syncs. Measured
		// with the server pinned to one CPU, GetUser with auditing fell to
		// 2,000–8,000/s with a p99 of 0.1–1 s; with two processors on the
		// same CPU it ran at 9,500–14,000/s with a p99 of 13 ms. (Without
		// auditing, one processor is the faster.) GOMAXPROCS in the
		// environment overrides it.
		runtime.GOMAXPROCS(minProcs)
	}
	if cfg.cpuProfile != "" {
		f, err := os.Create(cfg.cpuProfile)
		if err != nil {
			fmt.Fprintf(stderr, "gatehouse serve: %v\n", err)
			return 1
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintf(stderr, "gatehouse serve: %v\n", err)
			return 1
		}
		defer pprof.StopCPUProfile()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := serve(ctx, cfg, stdout, logger); err != nil {
		fmt.Fprintf(stderr, "gatehouse serve: %v\n", err)
		return 1
	}
	return 0
}

// serve runs the server until ctx ends.
func serve(ctx context.Context, cfg serveConfig, stdout io.Writer, logger *slog.Logger) error {
	boot, err := loadBootstrap(cfg)
	if err != nil {
		return err
	}
	key, err := masterKey(cfg, boot)
	if err != nil {
		return err
	}
	sealer, err := iam.NewSealer(key)
	if err != nil {
		return err
	}
	var st interface {
		store.Store
		Reset(context.Context) error
	}
	switch {
	case cfg.databaseURL != "":
		st, err = postgres.Open(ctx, cfg.databaseURL, postgres.Options{Schema: cfg.databaseSchema})
	case cfg.ephemeral:
		st, err = sqlite.OpenMemory()
	default:
		st, err = sqlite.Open(filepath.Join(cfg.dataDir, "gatehouse.db"))
	}
	if err != nil {
		return err
	}
	defer st.Close()
	svc, err := iam.New(ctx, iam.Config{Store: st, Sealer: sealer, Partition: cfg.partition})
	if err != nil {
		return err
	}
	if err := svc.Bootstrap(ctx, boot.AccountID, boot.AccessKeyID, boot.SecretAccessKey); err != nil {
		return err
	}
	ring, err := sts.LoadKeyRing(ctx, st, sealer)
	if err != nil {
		return err
	}
	// Session-token keys rotate daily; every node may run this (one rotates).
	go ring.RotateEvery(ctx, st, sealer, 24*time.Hour, time.Hour, logger)
	orgSvc, err := orgs.New(ctx, st, svc, cfg.partition)
	if err != nil {
		return err
	}
	var auditStore interface {
		store.Store
		Reset(context.Context) error
	}
	switch {
	case cfg.databaseURL != "":
		auditStore, err = postgres.Open(ctx, cfg.databaseURL, postgres.Options{Schema: cfg.databaseSchema + "_audit"})
	case cfg.ephemeral:
		auditStore, err = sqlite.OpenMemory()
	default:
		auditStore, err = sqlite.OpenLarge(filepath.Join(cfg.dataDir, "audit.db"), auditPageSize)
	}
	if err != nil {
		return err
	}
	defer auditStore.Close()
	var auditReader store.Store = auditStore
	scfg := server.Config{IAM: svc, STS: sts.New(svc, ring, cfg.partition), Orgs: orgSvc, Logger: logger}
	if !cfg.noAudit {
		recorder, err := openRecorder(ctx, cfg, auditStore)
		if err != nil {
			return err
		}
		defer recorder.Close()
		scfg.Audit, auditReader = recorder, recorder.Reader()
	}
	// LookupEvents sees every acknowledged event (its reads wait for the
	// journal's applier). Last-used data reads the store as it is, at most
	// one applier round behind, as AWS's is eventually consistent: GetRole
	// and friends then never wait for a store transaction. Pruning only
	// touches old records.
	scfg.AuditStore = auditReader
	activity := audit.NewActivity(auditStore, func(ctx context.Context) ([]string, error) { return iam.Accounts(ctx, st) })
	svc.SetActivity(activity)
	if cfg.auditRetention > 0 {
		go pruneAudit(ctx, auditStore, st, activity, cfg.auditRetention, logger)
	}
	if cfg.ephemeral {
		scfg.Reset = func(ctx context.Context) error {
			if err := st.Reset(ctx); err != nil {
				return err
			}
			if err := svc.Reload(ctx); err != nil {
				return err
			}
			if err := orgSvc.Reload(ctx); err != nil {
				return err
			}
			if err := auditStore.Reset(ctx); err != nil {
				return err
			}
			return svc.Bootstrap(ctx, boot.AccountID, boot.AccessKeyID, boot.SecretAccessKey)
		}
	}
	if cfg.databaseURL != "" {
		// Other nodes write too: follow the change feed.
		svc.Snapshot().SetOnChange(func(kind string) {
			if kind == "*" || strings.HasPrefix(kind, "orgs.") {
				if err := orgSvc.Reload(ctx); err != nil && ctx.Err() == nil {
					logger.Error("organizations reload failed", "error", err)
				}
			}
		})
		go follow(ctx, st, svc.Snapshot(), cfg.pollInterval, logger)
	}
	srv, err := server.New(scfg)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	endpoint := "http://" + ln.Addr().String()
	fmt.Fprintf(stdout, "Gatehouse is listening on %s (account %s)\n\n", endpoint, boot.AccountID)
	fmt.Fprintf(stdout, "export AWS_ENDPOINT_URL=%s\nexport AWS_ACCESS_KEY_ID=%s\nexport AWS_SECRET_ACCESS_KEY=%s\nexport AWS_REGION=us-east-1\n",
		endpoint, boot.AccessKeyID, boot.SecretAccessKey)
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case <-ctx.Done():
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return hs.Shutdown(shutdown)
	case err := <-errc:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	}
}

// serveGCPercent is the server's garbage-collection target (see runServe).
const serveGCPercent = 400

// minProcs is the fewest Go processors serve runs with (see runServe).
const minProcs = 2

// auditPageSize is the page size of a new SQLite audit database: its
// records are batches of events, tens of kilobytes each.
const auditPageSize = 65536

// openRecorder starts the audit recorder. An in-memory audit store has
// nothing durable to protect, so its batches are acknowledged when the store
// commits them; otherwise they are acknowledged once synced to the journal
// in the data directory (audit-journal/), and the store gets them in larger
// transactions soon after.
func openRecorder(ctx context.Context, cfg serveConfig, st store.Store) (*audit.Recorder, error) {
	if cfg.ephemeral {
		return audit.NewRecorder(st), nil
	}
	return audit.OpenRecorder(ctx, st, filepath.Join(cfg.dataDir, "audit-journal"), cfg.auditCommitInterval)
}

// masterKey returns the key that encrypts secrets at rest: from
// --master-key-file or $GATEHOUSE_MASTER_KEY when given (every node of a
// shared database needs the same key), else the bootstrap file's.
func masterKey(cfg serveConfig, boot *bootstrapFile) ([]byte, error) {
	encoded, from := boot.MasterKey, "bootstrap.json"
	if cfg.masterKeyFile != "" {
		data, err := os.ReadFile(cfg.masterKeyFile)
		if err != nil {
			return nil, fmt.Errorf("master key: %w", err)
		}
		encoded, from = strings.TrimSpace(string(data)), cfg.masterKeyFile
	} else if env := os.Getenv("GATEHOUSE_MASTER_KEY"); env != "" {
		encoded, from = env, "GATEHOUSE_MASTER_KEY"
	}
	key, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil || len(key) != 32 {
		return nil, fmt.Errorf("master key from %s: want base64 of 32 bytes", from)
	}
	return key, nil
}

// loadBootstrap reads the data directory's bootstrap file, creating it on
// first start from the flags (or generated values). In ephemeral mode nothing
// is written to disk.
func loadBootstrap(cfg serveConfig) (*bootstrapFile, error) {
	path := filepath.Join(cfg.dataDir, "bootstrap.json")
	var b bootstrapFile
	if !cfg.ephemeral {
		data, err := os.ReadFile(path)
		switch {
		case err == nil:
			if err := json.Unmarshal(data, &b); err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
		case !errors.Is(err, os.ErrNotExist):
			return nil, err
		}
	}
	if b.AccountID == "" {
		b.AccountID = cfg.account
		if b.AccountID == "" {
			n, _ := rand.Int(rand.Reader, big.NewInt(9e11))
			b.AccountID = fmt.Sprintf("%012d", n.Int64()+1e11)
		}
		b.AccessKeyID, b.SecretAccessKey = cfg.keyID, cfg.secret
		if b.AccessKeyID == "" {
			b.AccessKeyID = "AKIA" + randomUpper(16)
		}
		if b.SecretAccessKey == "" {
			b.SecretAccessKey = base64.StdEncoding.EncodeToString(randomBytes(30))
		}
		b.MasterKey = iam.NewKey()
		if !cfg.ephemeral {
			if err := os.MkdirAll(cfg.dataDir, 0o700); err != nil {
				return nil, err
			}
			data, _ := json.MarshalIndent(&b, "", "  ")
			if err := os.WriteFile(path, data, 0o600); err != nil {
				return nil, err
			}
		}
	}
	return &b, nil
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return b
}

func randomUpper(n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	b := randomBytes(n)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// pruneAudit deletes audit records older than the retention, now and then
// every hour, until ctx ends. The audit store's change feed is pruned first,
// up to what the last-used index (activity) has read, so that the data of
// deleted batches leaves the store rather than staying in their changes.
// (Another node whose index lags reloads it from the batches.)
func pruneAudit(ctx context.Context, auditStore, entities store.Store, activity *audit.Activity, retention time.Duration, logger *slog.Logger) {
	tick := time.NewTicker(time.Hour)
	defer tick.Stop()
	for {
		seq, err := activity.Sync(ctx)
		if err == nil {
			err = auditStore.Prune(ctx, seq+1)
		}
		var accounts []string
		if err == nil {
			accounts, err = iam.Accounts(ctx, entities)
		}
		if err == nil {
			var n int
			n, err = audit.Prune(ctx, auditStore, append(accounts, ""), time.Now().Add(-retention))
			logger.Info("audit records pruned", "count", n, "retention", retention)
		}
		if err != nil && ctx.Err() == nil {
			logger.Error("audit pruning failed", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// follow keeps a node's authorization snapshot fresh with other nodes'
// writes until ctx ends: it polls the store's last sequence number every
// interval, and also whenever the store announces a commit (PostgreSQL
// LISTEN/NOTIFY, where the database has it), and syncs the snapshot when the
// feed has moved. Syncing applies only the new changes.
func follow(ctx context.Context, st store.Store, snap *iam.Snapshot, interval time.Duration, logger *slog.Logger) {
	wake := make(chan struct{}, 1)
	if l, ok := st.(interface {
		Listen(context.Context, chan<- struct{}) error
	}); ok {
		go func() {
			for ctx.Err() == nil {
				err := l.Listen(ctx, wake)
				if errors.Is(err, postgres.ErrNoNotify) || ctx.Err() != nil {
					return
				}
				logger.Warn("change notifications interrupted; polling meanwhile", "error", err)
				select {
				case <-ctx.Done():
				case <-time.After(time.Second):
				}
			}
		}()
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	failing := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-wake:
		}
		seq, err := st.LastSeq(ctx)
		if err == nil && seq > snap.Seq() {
			err = snap.Sync(ctx)
		}
		switch {
		case err != nil && ctx.Err() == nil && !failing:
			logger.Error("following the change feed failed; retrying", "error", err)
			failing = true
		case err == nil && failing:
			logger.Info("following the change feed again", "seq", snap.Seq())
			failing = false
		}
	}
}
