package audit

import (
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// Problem is one integrity failure found by Verify.
type Problem struct {
	Path   string // file, relative to the export directory
	Reason string
}

func (p Problem) String() string { return p.Path + ": " + p.Reason }

// VerifyReport is what Verify checked and what failed.
type VerifyReport struct {
	Digests, LogFiles int
	// Fingerprint names the public key the digests were checked with:
	// compare it with the key's when the key came from the export itself.
	Fingerprint string
	Problems    []Problem
}

// Verify validates an export directory as CloudTrail validates log file
// integrity: every digest's signature (with pub, or the public key file in
// the directory when pub is nil), the chain from each digest to the previous
// one, every listed log file's presence and SHA-256 hash, and that no log
// file is present without a digest listing it (a renamed or added file).
// Changed bytes, changed, removed or reordered records and swapped files all
// show up as hash mismatches.
func Verify(dir string, pub *rsa.PublicKey) (*VerifyReport, error) {
	if pub == nil {
		data, err := os.ReadFile(filepath.Join(dir, PublicKeyFile))
		if err != nil {
			return nil, err
		}
		if pub, err = ParsePublicKey(data); err != nil {
			return nil, fmt.Errorf("%s: %w", PublicKeyFile, err)
		}
	}
	digests := map[string][]string{} // account → digest objects
	var logs []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if !strings.HasSuffix(rel, ".json.gz") {
			return nil
		}
		account, rest, _ := strings.Cut(rel, "/")
		if strings.HasPrefix(rest, "digest/") {
			digests[account] = append(digests[account], rel)
		} else {
			logs = append(logs, rel)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	rep := &VerifyReport{Fingerprint: Fingerprint(pub)}
	listed := map[string]bool{}
	accounts := make([]string, 0, len(digests))
	for a := range digests {
		accounts = append(accounts, a)
	}
	sort.Strings(accounts)
	for _, account := range accounts {
		verifyChain(dir, account, digests[account], pub, listed, rep)
	}
	sort.Strings(logs)
	for _, l := range logs {
		if !listed[l] {
			rep.fail(l, "log file is not listed in any digest (renamed, moved or added)")
		}
	}
	return rep, nil
}

func (r *VerifyReport) fail(p, format string, args ...any) {
	r.Problems = append(r.Problems, Problem{Path: p, Reason: fmt.Sprintf(format, args...)})
}

// loadedDigest is a digest file as read from disk.
type loadedDigest struct {
	object string
	d      Digest
	hash   string
	sig    string
}

// verifyChain checks one account's digests in time order, and the log files
// they list.
func verifyChain(dir, account string, objects []string, pub *rsa.PublicKey, listed map[string]bool, rep *VerifyReport) {
	var chain []*loadedDigest
	for _, obj := range objects {
		full := filepath.Join(dir, filepath.FromSlash(obj))
		content, err := gunzipFile(full)
		if err != nil {
			rep.fail(obj, "digest file is unreadable: %v", err)
			continue
		}
		ld := &loadedDigest{object: obj, hash: hashHex(content)}
		if err := json.Unmarshal(content, &ld.d); err != nil {
			rep.fail(obj, "digest file is not a digest: %v", err)
			continue
		}
		rep.Digests++
		var sc signature
		if data, err := os.ReadFile(full + ".sig"); err != nil {
			rep.fail(obj, "digest signature file is missing: %v", errors.Unwrap(err))
		} else if err := json.Unmarshal(data, &sc); err != nil {
			rep.fail(obj, "digest signature file is unreadable: %v", err)
		} else if err := verifyDigest(pub, &ld.d, ld.hash, sc.Signature); err != nil {
			rep.fail(obj, "forged or altered digest: %v", err)
		}
		ld.sig = sc.Signature
		if ld.d.DigestObject != obj {
			rep.fail(obj, "digest was written as %s (renamed or moved)", ld.d.DigestObject)
		}
		if ld.d.AccountID != account {
			rep.fail(obj, "digest belongs to account %s", ld.d.AccountID)
		}
		chain = append(chain, ld)
	}
	sort.Slice(chain, func(i, j int) bool {
		if chain[i].d.DigestEndTime != chain[j].d.DigestEndTime {
			return chain[i].d.DigestEndTime < chain[j].d.DigestEndTime
		}
		return chain[i].object < chain[j].object
	})
	for i, ld := range chain {
		d := &ld.d
		switch {
		case i == 0 && d.PreviousDigestObject != nil:
			rep.fail(ld.object, "previous digest %s is missing (the start of the chain was deleted)", *d.PreviousDigestObject)
		case i > 0 && d.PreviousDigestObject == nil:
			rep.fail(ld.object, "digest starts a new chain after %s", chain[i-1].object)
		case i > 0:
			prev := chain[i-1]
			switch {
			case *d.PreviousDigestObject != prev.d.DigestObject:
				rep.fail(ld.object, "previous digest %s is missing (the chain continues from %s)", *d.PreviousDigestObject, prev.object)
			case d.PreviousDigestHashValue == nil || *d.PreviousDigestHashValue != prev.hash:
				rep.fail(ld.object, "previous digest %s was changed (hash mismatch)", prev.object)
			case d.PreviousDigestSignature == nil || *d.PreviousDigestSignature != prev.sig:
				rep.fail(ld.object, "previous digest %s has a different signature", prev.object)
			}
		}
		for _, lf := range d.LogFiles {
			verifyLogFile(dir, account, lf, listed, rep)
		}
	}
}

// verifyLogFile checks one listed log file.
func verifyLogFile(dir, account string, lf DigestLogFile, listed map[string]bool, rep *VerifyReport) {
	obj := path.Clean(lf.Object)
	if !strings.HasPrefix(obj, account+"/") || strings.HasPrefix(obj, account+"/digest/") {
		rep.fail(account, "a digest lists %q, which is not a log file of the account", lf.Object)
		return
	}
	listed[obj] = true
	content, err := gunzipFile(filepath.Join(dir, filepath.FromSlash(obj)))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		rep.fail(obj, "log file listed in a digest was deleted")
		return
	case err != nil:
		rep.fail(obj, "log file is corrupt: %v", err)
		return
	}
	rep.LogFiles++
	if h := hashHex(content); h != lf.HashValue {
		rep.fail(obj, "log file was changed: SHA-256 %s, digest says %s", h, lf.HashValue)
	}
}
