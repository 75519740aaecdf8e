package main

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/gatehouse-iam/gatehouse/audit"
	"github.com/gatehouse-iam/gatehouse/iam"
	"github.com/gatehouse-iam/gatehouse/store"
)

const auditUsage = `usage: gatehouse audit <export|verify|query> [flags]

  export  write the audit records of a data directory as CloudTrail log files (gzip JSON) with
          signed, chained digest files; incremental: each run continues where the last stopped
  verify  validate an export directory: digest signatures and chain, every log file's hash, no
          unlisted files; exits 1 on any failure
  query   search and count the audit records, e.g. what a role used in the last 90 days:
          gatehouse audit query --principal arn:aws:iam::123456789012:role/app --since 90d --group-by action

export and query read the deployment named by --data-dir (SQLite) or --database-url (PostgreSQL);
the signing key (audit-signing.key) and the export state stay in --data-dir.
`

// runAudit implements `gatehouse audit`.
func runAudit(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, auditUsage)
		return 2
	}
	sub := map[string]func([]string, io.Writer, io.Writer) int{
		"export": runAuditExport, "verify": runAuditVerify, "query": runAuditQuery,
	}[args[0]]
	if sub == nil {
		fmt.Fprint(stderr, auditUsage)
		return 2
	}
	return sub(args[1:], stdout, stderr)
}

// signingKeyFile is the audit signing key's name in the data directory.
const signingKeyFile = "audit-signing.key"

// openAudit opens a deployment's audit store (SQLite in the data directory,
// which must exist, or PostgreSQL), and lists the accounts of its entity
// store when account is empty.
func openAudit(ctx context.Context, f storeFlags, account string) (store.Store, []string, error) {
	if f.databaseURL == "" {
		if _, err := os.Stat(f.sqlitePath(true)); err != nil {
			return nil, nil, err
		}
	}
	st, err := f.open(ctx, true)
	if err != nil {
		return nil, nil, err
	}
	if account != "" {
		return st, []string{account}, nil
	}
	ents, err := f.open(ctx, false)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	defer ents.Close()
	accounts, err := iam.Accounts(ctx, ents)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return st, accounts, nil
}

func runAuditExport(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("audit export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var sf storeFlags
	sf.register(fs)
	out := fs.String("out", "", "export directory (required)")
	account := fs.String("account", "", "export only this account (default: every account)")
	since := fs.String("since", "", "first export only: start at this time (RFC 3339) or this long ago (90d, 12h)")
	perFile := fs.Int("records-per-file", 100, "records per log file")
	settle := fs.Duration("settle", 15*time.Second, "leave events younger than this for the next export (commits in flight)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *out == "" {
		fmt.Fprintln(stderr, "gatehouse audit export: --out is required")
		return 2
	}
	now := time.Now()
	var start time.Time
	if *since != "" {
		var err error
		if start, err = parseSince(*since, now); err != nil {
			fmt.Fprintf(stderr, "gatehouse audit export: --since: %v\n", err)
			return 2
		}
	}
	ctx := context.Background()
	st, accounts, err := openAudit(ctx, sf, *account)
	if err != nil {
		fmt.Fprintf(stderr, "gatehouse audit export: %v\n", err)
		return 1
	}
	defer st.Close()
	key, err := audit.LoadOrCreateSigningKey(filepath.Join(sf.dataDir, signingKeyFile))
	if err != nil {
		fmt.Fprintf(stderr, "gatehouse audit export: %v\n", err)
		return 1
	}
	rep, err := audit.Export(ctx, st, audit.ExportOptions{Dir: *out, Accounts: accounts, Since: start, Until: now.Add(-*settle),
		PerFile: *perFile, Key: key, StatePath: filepath.Join(sf.dataDir, "audit-export.json")})
	if err != nil {
		fmt.Fprintf(stderr, "gatehouse audit export: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "exported %d records in %d log files, %d digests to %s\n", rep.Records, rep.LogFiles, rep.Digests, *out)
	return 0
}

func runAuditVerify(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("audit verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", "", "export directory (required)")
	pubFile := fs.String("public-key", "", "trusted public key (PEM; default: the one in the export directory)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *dir == "" {
		fmt.Fprintln(stderr, "gatehouse audit verify: --dir is required")
		return 2
	}
	key, err := loadPublicKey(*pubFile)
	if err != nil {
		fmt.Fprintf(stderr, "gatehouse audit verify: %v\n", err)
		return 1
	}
	rep, err := audit.Verify(*dir, key)
	if err != nil {
		fmt.Fprintf(stderr, "gatehouse audit verify: %v\n", err)
		return 1
	}
	for _, p := range rep.Problems {
		fmt.Fprintf(stdout, "FAIL %s\n", p)
	}
	fmt.Fprintf(stdout, "%d digests and %d log files checked with public key %s, %d problems\n", rep.Digests, rep.LogFiles,
		rep.Fingerprint, len(rep.Problems))
	if len(rep.Problems) > 0 || rep.Digests == 0 {
		return 1
	}
	return 0
}

func runAuditQuery(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("audit query", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var sf storeFlags
	sf.register(fs)
	var f audit.Filter
	account := fs.String("account", "", "account (default: every account, and calls that failed authentication)")
	fs.StringVar(&f.Principal, "principal", "", "caller ARN or name; a role also matches its sessions")
	fs.StringVar(&f.Action, "action", "", "service:EventName or EventName")
	fs.StringVar(&f.Service, "service", "", "service prefix (iam, sts, organizations, …)")
	fs.BoolVar(&f.ErrorsOnly, "errors-only", false, "only failed calls")
	since := fs.String("since", "", "events from this long ago (90d, 12h) or this time (RFC 3339)")
	startFlag := fs.String("start", "", "events at or after this time (RFC 3339)")
	endFlag := fs.String("end", "", "events at or before this time (RFC 3339)")
	groupBy := fs.String("group-by", "", "count by action, principal, service or error")
	format := fs.String("format", "table", "table or json")
	limit := fs.Int("limit", 0, "at most this many events (0: all; ignored with --group-by)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	now := time.Now()
	q := audit.Query{Match: f.Match}
	var err error
	switch {
	case *since != "" && (*startFlag != "" || *endFlag != ""):
		err = fmt.Errorf("--since excludes --start and --end")
	case *since != "":
		q.Start, err = parseSince(*since, now)
	case *startFlag != "":
		q.Start, err = time.Parse(time.RFC3339, *startFlag)
	}
	if err == nil && *endFlag != "" {
		q.End, err = time.Parse(time.RFC3339, *endFlag)
	}
	key := audit.GroupKeys[*groupBy]
	switch {
	case err != nil:
	case *groupBy != "" && key == nil:
		err = fmt.Errorf("--group-by must be action, principal, service or error")
	case *format != "table" && *format != "json":
		err = fmt.Errorf("--format must be table or json")
	}
	if err != nil {
		fmt.Fprintf(stderr, "gatehouse audit query: %v\n", err)
		return 2
	}
	ctx := context.Background()
	st, accounts, err := openAudit(ctx, sf, *account)
	if err != nil {
		fmt.Fprintf(stderr, "gatehouse audit query: %v\n", err)
		return 1
	}
	defer st.Close()
	if *account == "" {
		accounts = append(accounts, "") // callers without an account: failed authentication
	}
	if key == nil {
		q.Limit = *limit
	}
	var events []*audit.Event
	for _, a := range accounts {
		q.Account = a
		evs, err := audit.Events(ctx, st, q)
		if err != nil {
			fmt.Fprintf(stderr, "gatehouse audit query: %v\n", err)
			return 1
		}
		events = append(events, evs...)
	}
	if key != nil {
		groups := audit.GroupEvents(events, key)
		if *format == "json" {
			return writeJSON(stdout, groups)
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "%s\tCOUNT\tERRORS\tCALLERS\tFIRST\tLAST\n", strings.ToUpper(*groupBy))
		for _, g := range groups {
			fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\t%s\n", g.Key, g.Count, g.Errors, g.Sessions, g.First, g.Last)
		}
		tw.Flush()
		return 0
	}
	if *format == "json" {
		return writeJSON(stdout, events)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tACCOUNT\tCALLER\tACTION\tERROR\tSOURCE IP")
	for _, ev := range events {
		caller := ev.UserIdentity.ARN
		if caller == "" {
			caller = ev.UserIdentity.Type
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", ev.EventTime, ev.RecipientAccountID, caller, audit.ActionOf(ev), ev.ErrorCode, ev.SourceIPAddress)
	}
	tw.Flush()
	return 0
}

func writeJSON(w io.Writer, v any) int {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return 1
	}
	return 0
}

// parseSince reads "90d", "12h", "30m" (that long before now) or an RFC 3339
// time.
func parseSince(s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 {
			return time.Time{}, fmt.Errorf("%q is not a number of days", s)
		}
		return now.AddDate(0, 0, -n), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return time.Time{}, fmt.Errorf("%q is neither a time (RFC 3339) nor a duration (90d, 12h)", s)
	}
	return now.Add(-d), nil
}

// loadPublicKey reads a PEM public key; nil (use the export's) when path is
// empty.
func loadPublicKey(path string) (*rsa.PublicKey, error) {
	if path == "" {
		return nil, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return audit.ParsePublicKey(data)
}
