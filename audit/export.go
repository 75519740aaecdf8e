package audit

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"time"

	"github.com/gatehouse-iam/gatehouse/store"
)

// idLayout is the time prefix of event IDs in the store.
const idLayout = "20060102T150405.000000000Z"

// PublicKeyFile is the name of the signing key's public half, written at the
// top of every export directory.
const PublicKeyFile = "audit-signing-public.pem"

// ExportOptions say what Export writes and where.
type ExportOptions struct {
	Dir      string   // export directory
	Accounts []string // accounts to export
	// Since bounds the first export of an account (zero: from the first
	// event); later exports continue where the previous one stopped.
	Since time.Time
	// Until leaves events recorded at or after it for the next export, so
	// that an event whose commit is still in flight is not skipped (zero:
	// now).
	Until   time.Time
	PerFile int // records per log file; 0: 100
	Key     *rsa.PrivateKey
	// StatePath is the file where Export remembers, per directory and
	// account, the last event exported and the last digest written.
	StatePath string
}

// ExportReport counts what one Export wrote.
type ExportReport struct {
	LogFiles, Records, Digests int
}

// exportState is the content of the state file.
type exportState map[string]*cursor

// cursor is where the export of one account into one directory stopped.
type cursor struct {
	LastBatch  string // store ID of the last batch of events exported
	Digest     string // object path of the last digest
	DigestHash string
	Signature  string
	DigestEnd  string
}

// Export writes the events of each account recorded since the previous
// export as CloudTrail log files (gzip, {"Records": [...]}), then one signed
// digest per account chaining to the previous one.
func Export(ctx context.Context, st store.Store, o ExportOptions) (ExportReport, error) {
	var rep ExportReport
	if o.PerFile <= 0 {
		o.PerFile = 100
	}
	if o.Until.IsZero() {
		o.Until = time.Now()
	}
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return rep, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return rep, err
	}
	if err := os.WriteFile(filepath.Join(dir, PublicKeyFile), EncodePublicKey(&o.Key.PublicKey), 0o644); err != nil {
		return rep, err
	}
	state := exportState{}
	if data, err := os.ReadFile(o.StatePath); err == nil {
		if err := json.Unmarshal(data, &state); err != nil {
			return rep, fmt.Errorf("%s: %w", o.StatePath, err)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return rep, err
	}
	for _, account := range o.Accounts {
		key := dir + "|" + account
		c := state[key]
		if c == nil {
			c = &cursor{}
		}
		if err := exportAccount(ctx, st, o, dir, account, c, &rep); err != nil {
			return rep, err
		}
		state[key] = c
		data, _ := json.MarshalIndent(state, "", "  ")
		if err := os.WriteFile(o.StatePath, data, 0o600); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// exportAccount writes one account's new log files and its digest, and
// advances c.
func exportAccount(ctx context.Context, st store.Store, o ExportOptions, dir, account string, c *cursor, rep *ExportReport) error {
	after := c.LastBatch
	first := after == "" && !o.Since.IsZero()
	if first {
		// A batch committed before Since holds only older events.
		after = o.Since.UTC().Add(-time.Nanosecond).Format(idLayout)
	}
	until := o.Until.UTC().Format(idLayout)
	var recs []store.Record
	err := st.View(ctx, func(tx store.Tx) error {
		var err error
		recs, err = tx.List(ctx, store.ListOptions{Kind: kindBatch, Account: account, After: after})
		return err
	})
	if err != nil {
		return err
	}
	for len(recs) > 0 && recs[len(recs)-1].ID >= until {
		recs = recs[:len(recs)-1]
	}
	// Group by Region, keeping commit order, as CloudTrail writes one file
	// per Region.
	byRegion := map[string][]exportedEvent{}
	var regions []string
	for _, r := range recs {
		var batch []json.RawMessage
		if err := json.Unmarshal(r.Data, &batch); err != nil {
			return fmt.Errorf("batch %s: %w", r.ID, err)
		}
		for _, raw := range batch {
			var ev struct {
				AWSRegion string `json:"awsRegion"`
				EventTime string `json:"eventTime"`
			}
			if err := json.Unmarshal(raw, &ev); err != nil {
				return fmt.Errorf("batch %s: %w", r.ID, err)
			}
			if first && ev.EventTime < o.Since.UTC().Truncate(time.Second).Format(time.RFC3339) {
				continue
			}
			if _, ok := byRegion[ev.AWSRegion]; !ok {
				regions = append(regions, ev.AWSRegion)
			}
			byRegion[ev.AWSRegion] = append(byRegion[ev.AWSRegion], exportedEvent{raw, ev.EventTime})
		}
	}
	var files []DigestLogFile
	oldest, newest := "", ""
	for _, region := range regions {
		rs := byRegion[region]
		for start := 0; start < len(rs); start += o.PerFile {
			chunk := rs[start:min(start+o.PerFile, len(rs))]
			lf, err := writeLogFile(dir, account, region, chunk)
			if err != nil {
				return err
			}
			files = append(files, lf)
			rep.LogFiles++
			rep.Records += len(chunk)
			if oldest == "" || lf.OldestEventTime < oldest {
				oldest = lf.OldestEventTime
			}
			newest = max(newest, lf.NewestEventTime)
		}
	}
	end := o.Until.UTC().Truncate(time.Second)
	if prev, err := time.Parse(time.RFC3339, c.DigestEnd); err == nil && !end.After(prev) {
		end = prev.Add(time.Second)
	}
	d := &Digest{AccountID: account, DigestEndTime: end.Format(time.RFC3339), OldestEventTime: oldest, NewestEventTime: newest,
		PublicKeyFingerprint: Fingerprint(&o.Key.PublicKey), DigestSignatureAlgorithm: signatureAlgorithm, LogFiles: files}
	d.DigestStartTime = c.DigestEnd
	if d.DigestStartTime == "" {
		d.DigestStartTime = d.DigestEndTime
		if oldest != "" {
			d.DigestStartTime = oldest
		}
	}
	if d.LogFiles == nil {
		d.LogFiles = []DigestLogFile{}
	}
	d.DigestObject = path.Join(account, "digest", account+"_CloudTrail-Digest_us-east-1_"+end.Format("20060102T150405Z")+".json.gz")
	if c.Digest != "" {
		algo := hashAlgorithm
		d.PreviousDigestObject, d.PreviousDigestHashValue, d.PreviousDigestHashAlgo, d.PreviousDigestSignature =
			&c.Digest, &c.DigestHash, &algo, &c.Signature
	}
	content := marshalDigest(d)
	h := hashHex(content)
	sig, err := signDigest(o.Key, d, h)
	if err != nil {
		return err
	}
	full := filepath.Join(dir, filepath.FromSlash(d.DigestObject))
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(full, gzipBytes(content), 0o644); err != nil {
		return err
	}
	sc, _ := json.Marshal(signature{Signature: sig, SignatureAlgorithm: signatureAlgorithm})
	if err := os.WriteFile(full+".sig", sc, 0o644); err != nil {
		return err
	}
	rep.Digests++
	if len(recs) > 0 {
		c.LastBatch = recs[len(recs)-1].ID
	} else if c.LastBatch == "" {
		c.LastBatch = after
	}
	c.Digest, c.DigestHash, c.Signature, c.DigestEnd = d.DigestObject, h, sig, d.DigestEndTime
	return nil
}

// exportedEvent is one event on its way to a log file.
type exportedEvent struct {
	data json.RawMessage
	time string // eventTime
}

// writeLogFile writes one CloudTrail log file and describes it for the
// digest.
func writeLogFile(dir, account, region string, events []exportedEvent) (DigestLogFile, error) {
	raw := make([]json.RawMessage, len(events))
	oldest, newest := events[0].time, events[0].time
	for i, e := range events {
		raw[i] = e.data
		oldest, newest = min(oldest, e.time), max(newest, e.time)
	}
	content, err := json.Marshal(map[string]any{"Records": raw})
	if err != nil {
		return DigestLogFile{}, err
	}
	t, err := time.Parse(time.RFC3339, newest)
	if err != nil {
		return DigestLogFile{}, fmt.Errorf("event time %q: %w", newest, err)
	}
	suffix := make([]byte, 8)
	rand.Read(suffix)
	name := fmt.Sprintf("%s_CloudTrail_%s_%s_%s.json.gz", account, region, t.Format("20060102T1504Z"), hex.EncodeToString(suffix))
	object := path.Join(account, t.Format("2006/01/02"), name)
	full := filepath.Join(dir, filepath.FromSlash(object))
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		return DigestLogFile{}, err
	}
	if err := os.WriteFile(full, gzipBytes(content), 0o644); err != nil {
		return DigestLogFile{}, err
	}
	return DigestLogFile{Object: object, HashValue: hashHex(content), HashAlgorithm: hashAlgorithm,
		OldestEventTime: oldest, NewestEventTime: newest}, nil
}

// Prune deletes the events of the accounts committed before the given time
// (the retention horizon), a batch at a time, and returns how many batches
// it deleted.
func Prune(ctx context.Context, st store.Store, accounts []string, before time.Time) (int, error) {
	cut := before.UTC().Format(idLayout)
	n := 0
	for _, account := range accounts {
		for {
			var done bool
			deleted := 0
			err := st.Update(ctx, func(tx store.Tx) error {
				recs, err := tx.List(ctx, store.ListOptions{Kind: kindBatch, Account: account, Limit: 1000})
				if err != nil {
					return err
				}
				deleted = 0
				for _, r := range recs {
					if r.ID >= cut {
						break
					}
					if err := tx.Delete(ctx, r.Key(), 0); err != nil {
						return err
					}
					deleted++
				}
				done = deleted < len(recs) || len(recs) < 1000
				return nil
			})
			if err != nil {
				return n, err
			}
			n += deleted
			if done {
				break
			}
		}
	}
	return n, nil
}
