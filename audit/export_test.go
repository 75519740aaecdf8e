package audit

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/store"
	"github.com/gatehouse-iam/gatehouse/store/sqlite"
)

var (
	testKeyOnce sync.Once
	testKey     *rsa.PrivateKey
)

func signingKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	testKeyOnce.Do(func() {
		k, err := LoadOrCreateSigningKey(filepath.Join(t.TempDir(), "key.pem"))
		if err != nil {
			t.Fatal(err)
		}
		testKey = k
	})
	return testKey
}

// eventClockRecorder stamps each batch with its latest event's time, so
// that tests recording one event at a time control the batch IDs.
func eventClockRecorder(st store.Store) *Recorder {
	return newRecorder(st, func() time.Time { return time.Time{} })
}

// recordEvents records n calls of an account one second apart from start,
// alternating two Regions.
func recordEvents(t *testing.T, rec *Recorder, account string, start time.Time, n int) {
	t.Helper()
	for i := range n {
		region := "us-east-1"
		if i%3 == 2 {
			region = "eu-west-1"
		}
		c := &Call{Service: "iam", OpName: "GetUser", Time: start.Add(time.Duration(i) * time.Second), AccountID: account,
			Region: region, RequestID: "req", SourceIP: "127.0.0.1"}
		if err := rec.Record(context.Background(), c); err != nil {
			t.Fatal(err)
		}
	}
}

// exported builds an export directory with two digests per account and
// returns it with the store.
func exported(t *testing.T) string {
	t.Helper()
	st, err := sqlite.OpenMemory()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	rec := eventClockRecorder(st)
	defer rec.Close()
	base := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	recordEvents(t, rec, "111111111111", base, 25)
	recordEvents(t, rec, "222222222222", base, 3)
	dir, state := t.TempDir(), filepath.Join(t.TempDir(), "state.json")
	o := ExportOptions{Dir: dir, Accounts: []string{"111111111111", "222222222222"}, Until: base.Add(time.Hour),
		PerFile: 10, Key: signingKey(t), StatePath: state}
	rep, err := Export(context.Background(), st, o)
	if err != nil {
		t.Fatal(err)
	}
	// 111…: 17 in us-east-1 (2 files), 8 in eu-west-1 (1); 222…: 2 + 1.
	if rep != (ExportReport{LogFiles: 5, Records: 28, Digests: 2}) {
		t.Fatalf("first export: %+v", rep)
	}
	recordEvents(t, rec, "111111111111", base.Add(2*time.Hour), 4)
	o.Until = base.Add(3 * time.Hour)
	rep, err = Export(context.Background(), st, o)
	if err != nil {
		t.Fatal(err)
	}
	if rep != (ExportReport{LogFiles: 2, Records: 4, Digests: 2}) {
		t.Fatalf("incremental export: %+v", rep)
	}
	o.Until = base.Add(4 * time.Hour)
	if rep, err = Export(context.Background(), st, o); err != nil || rep.Records != 0 || rep.Digests != 2 {
		t.Fatalf("empty export: %+v %v", rep, err)
	}
	return dir
}

func files(t *testing.T, dir, account string, digest bool) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(filepath.Join(dir, account), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".json.gz") && strings.Contains(p, "/digest/") == digest {
			out = append(out, p)
		}
		return nil
	})
	sort.Strings(out)
	return out
}

func readGz(t *testing.T, p string) []byte {
	t.Helper()
	data, err := gunzipFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func writeGz(t *testing.T, p string, data []byte) {
	t.Helper()
	if err := os.WriteFile(p, gzipBytes(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// editRecords rewrites the Records of a log file.
func editRecords(t *testing.T, p string, edit func([]json.RawMessage) []json.RawMessage) {
	t.Helper()
	var f struct{ Records []json.RawMessage }
	if err := json.Unmarshal(readGz(t, p), &f); err != nil {
		t.Fatal(err)
	}
	f.Records = edit(f.Records)
	data, _ := json.Marshal(f)
	writeGz(t, p, data)
}

func TestExportVerifies(t *testing.T) {
	dir := exported(t)
	rep, err := Verify(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Problems) != 0 || rep.Digests != 6 || rep.LogFiles != 7 {
		t.Fatalf("clean export: %+v", rep)
	}
	// Files are CloudTrail's: gzip JSON with Records, named by account,
	// Region and time.
	logs := files(t, dir, "111111111111", false)
	if !strings.Contains(logs[0], "111111111111/2026/11/01/111111111111_CloudTrail_") {
		t.Fatalf("log file name: %s", logs[0])
	}
	var f struct{ Records []Event }
	if err := json.Unmarshal(readGz(t, logs[0]), &f); err != nil || len(f.Records) == 0 || f.Records[0].EventName != "GetUser" {
		t.Fatalf("log file content: %+v %v", f, err)
	}
	var d Digest
	if err := json.Unmarshal(readGz(t, files(t, dir, "111111111111", true)[1]), &d); err != nil ||
		d.PreviousDigestObject == nil || len(d.LogFiles) != 2 || d.DigestSignatureAlgorithm != "SHA256withRSA" {
		t.Fatalf("second digest: %+v %v", d, err)
	}
}

func TestVerifyDetectsTampering(t *testing.T) {
	const acct = "111111111111"
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		tamper func(t *testing.T, dir string)
		want   string
	}{
		{"changed byte", func(t *testing.T, dir string) {
			p := files(t, dir, acct, false)[0]
			data := readGz(t, p)
			i := bytes.Index(data, []byte("GetUser"))
			data[i] = 'S'
			writeGz(t, p, data)
		}, "log file was changed"},
		{"changed byte of the compressed file", func(t *testing.T, dir string) {
			p := files(t, dir, acct, false)[0]
			data, _ := os.ReadFile(p)
			data[len(data)/2] ^= 1
			os.WriteFile(p, data, 0o644)
		}, acct},
		{"deleted log file", func(t *testing.T, dir string) {
			os.Remove(files(t, dir, acct, false)[1])
		}, "was deleted"},
		{"renamed log file", func(t *testing.T, dir string) {
			p := files(t, dir, acct, false)[0]
			os.Rename(p, strings.Replace(p, "_CloudTrail_", "_CloudTrail_x", 1))
		}, "not listed in any digest"},
		{"reordered files", func(t *testing.T, dir string) {
			fs := files(t, dir, acct, false)
			tmp := fs[0] + ".tmp"
			os.Rename(fs[0], tmp)
			os.Rename(fs[1], fs[0])
			os.Rename(tmp, fs[1])
		}, "log file was changed"},
		{"changed record", func(t *testing.T, dir string) {
			editRecords(t, files(t, dir, acct, false)[0], func(r []json.RawMessage) []json.RawMessage {
				r[0] = json.RawMessage(strings.Replace(string(r[0]), "127.0.0.1", "10.0.0.1", 1))
				return r
			})
		}, "log file was changed"},
		{"removed record", func(t *testing.T, dir string) {
			editRecords(t, files(t, dir, acct, false)[0], func(r []json.RawMessage) []json.RawMessage { return r[1:] })
		}, "log file was changed"},
		{"reordered records", func(t *testing.T, dir string) {
			editRecords(t, files(t, dir, acct, false)[0], func(r []json.RawMessage) []json.RawMessage {
				r[0], r[1] = r[1], r[0]
				return r
			})
		}, "log file was changed"},
		{"deleted digest in the middle", func(t *testing.T, dir string) {
			p := files(t, dir, acct, true)[1]
			os.Remove(p)
			os.Remove(p + ".sig")
		}, "previous digest"},
		{"deleted first digest", func(t *testing.T, dir string) {
			os.Remove(files(t, dir, acct, true)[0])
		}, "start of the chain was deleted"},
		{"forged digest (edited, old signature)", func(t *testing.T, dir string) {
			p := files(t, dir, acct, true)[0]
			var d Digest
			json.Unmarshal(readGz(t, p), &d)
			d.LogFiles = d.LogFiles[1:]
			writeGz(t, p, marshalDigest(&d))
		}, "forged or altered digest"},
		{"forged digest (signed with another key)", func(t *testing.T, dir string) {
			p := files(t, dir, acct, true)[0]
			var d Digest
			json.Unmarshal(readGz(t, p), &d)
			d.LogFiles = d.LogFiles[1:]
			content := marshalDigest(&d)
			sig, _ := signDigest(other, &d, hashHex(content))
			writeGz(t, p, content)
			sc, _ := json.Marshal(signature{Signature: sig, SignatureAlgorithm: signatureAlgorithm})
			os.WriteFile(p+".sig", sc, 0o644)
		}, "forged or altered digest"},
		{"digest replaced by garbage", func(t *testing.T, dir string) {
			os.WriteFile(files(t, dir, acct, true)[1], []byte("not gzip"), 0o644)
		}, "digest file is unreadable"},
		{"digest that is not JSON", func(t *testing.T, dir string) {
			writeGz(t, files(t, dir, acct, true)[1], []byte("[1,2"))
		}, "not a digest"},
		{"signature that is not hex", func(t *testing.T, dir string) {
			os.WriteFile(files(t, dir, acct, true)[0]+".sig", []byte(`{"signature":"zz"}`), 0o644)
		}, "not hex"},
		{"digest listing a file outside the account", func(t *testing.T, dir string) {
			p := files(t, dir, acct, true)[0]
			var d Digest
			json.Unmarshal(readGz(t, p), &d)
			d.LogFiles[0].Object = acct + "/../../../etc/passwd"
			writeGz(t, p, marshalDigest(&d))
		}, "not a log file of the account"},
		{"missing signature", func(t *testing.T, dir string) {
			os.Remove(files(t, dir, acct, true)[2] + ".sig")
		}, "signature file is missing"},
	}
	dir := exported(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cp := t.TempDir()
			if err := os.CopyFS(cp, os.DirFS(dir)); err != nil {
				t.Fatal(err)
			}
			tc.tamper(t, cp)
			rep, err := Verify(cp, &signingKey(t).PublicKey)
			if err != nil {
				t.Fatal(err)
			}
			var found bool
			for _, p := range rep.Problems {
				found = found || strings.Contains(p.String(), tc.want)
			}
			if !found {
				t.Fatalf("want a problem mentioning %q, got %v", tc.want, rep.Problems)
			}
		})
	}
}

func TestExportSinceAndPrune(t *testing.T) {
	st, err := sqlite.OpenMemory()
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rec := eventClockRecorder(st)
	base := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	recordEvents(t, rec, "111111111111", base, 10)
	rec.Close()
	o := ExportOptions{Dir: t.TempDir(), Accounts: []string{"111111111111"}, Since: base.Add(5 * time.Second),
		Until: base.Add(time.Hour), Key: signingKey(t), StatePath: filepath.Join(t.TempDir(), "s.json")}
	if rep, err := Export(context.Background(), st, o); err != nil || rep.Records != 5 {
		t.Fatalf("export since: %+v %v", rep, err)
	}
	n, err := Prune(context.Background(), st, []string{"111111111111"}, base.Add(3*time.Second))
	if err != nil || n != 3 {
		t.Fatalf("prune: %d %v", n, err)
	}
	evs, err := Events(context.Background(), st, Query{Account: "111111111111"})
	if err != nil || len(evs) != 7 || evs[6].EventTime != "2026-11-01T10:00:03Z" {
		t.Fatalf("after prune: %d %v", len(evs), err)
	}
}

// FuzzVerifyDigest feeds arbitrary digest content to Verify: it reports
// problems and never panics or reads outside the export.
func FuzzVerifyDigest(f *testing.F) {
	f.Add([]byte(`{"awsAccountId":"111111111111","digestS3Object":"111111111111/digest/x.json.gz","logFiles":[{"s3Object":"111111111111/a.json.gz"}]}`))
	f.Add([]byte(`{"previousDigestS3Object":"x","previousDigestHashValue":null,"logFiles":[{"s3Object":"../x"}]}`))
	f.Add([]byte(`[]`))
	key, err := rsa.GenerateKey(rand.Reader, 1024) // any key: fuzzed digests carry no valid signature
	if err != nil {
		f.Fatal(err)
	}
	pub := &key.PublicKey
	f.Fuzz(func(t *testing.T, content []byte) {
		dir := t.TempDir()
		d := filepath.Join(dir, "111111111111", "digest")
		os.MkdirAll(d, 0o755)
		os.WriteFile(filepath.Join(d, "a.json.gz"), gzipBytes(content), 0o644)
		os.WriteFile(filepath.Join(d, "b.json.gz"), gzipBytes(content), 0o644)
		if _, err := Verify(dir, pub); err != nil {
			t.Fatal(err)
		}
	})
}
