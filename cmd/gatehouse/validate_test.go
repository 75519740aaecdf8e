package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestValidateCommand(t *testing.T) {
	dir := t.TempDir()
	write := func(name, doc string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	clean := write("clean.json", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b"}]}`)
	passRole := write("passrole.json", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:PassRole","Resource":"*"}]}`)
	bad := write("bad.json", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObjekt","Resource":"*"}]}`)
	noVersion := write("noversion.json", `{"Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b"}]}`)
	iamAll := write("iamall.json", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:Get*","Resource":"*"},{"Effect":"Allow","Action":"iam:Attach*","Resource":"*"}]}`)
	trust := write("trust.json", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole","Resource":"*"}]}`)
	for _, tc := range []struct {
		name   string
		args   []string
		status int
		out    string
	}{
		{"clean", []string{clean}, 0, "0 finding(s) in 1 file(s)"},
		{"error fails by default", []string{bad}, 1, "ERROR INVALID_ACTION"},
		{"security warning passes at error", []string{passRole}, 0, "PASS_ROLE_WITH_STAR_IN_RESOURCE"},
		{"security warning fails at security_warning", []string{passRole, "--fail-on", "security_warning"}, 1, ""},
		{"warning below threshold", []string{noVersion, "--fail-on", "security_warning"}, 0, "MISSING_VERSION"},
		{"warning at threshold", []string{"--fail-on", "warning", noVersion}, 1, ""},
		{"several files", []string{clean, bad}, 1, "1 finding(s) in 2 file(s)"},
		{"trust type", []string{"--type", "trust", trust}, 1, "ROLE_TRUST_POLICY_SYNTAX_ERROR_RESOURCE"},
		{"extended checks", []string{"--extended", "--fail-on", "security_warning", iamAll}, 1, "GATEHOUSE_WILDCARD_PERMISSIONS_MANAGEMENT"},
		{"extended checks off", []string{iamAll, "--fail-on", "security_warning"}, 0, "0 finding(s)"},
		{"json", []string{bad, "--format", "json"}, 1, `"issueCode": "INVALID_ACTION"`},
		{"sarif", []string{bad, "--format", "sarif"}, 1, `"version": "2.1.0"`},
		{"no files", []string{"--type", "identity"}, 2, ""},
		{"unknown type", []string{clean, "--type", "group"}, 2, ""},
		{"unknown format", []string{clean, "--format", "xml"}, 2, ""},
		{"unknown threshold", []string{clean, "--fail-on", "info"}, 2, ""},
		{"missing file", []string{filepath.Join(dir, "nope.json")}, 2, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			status := run(append([]string{"validate"}, tc.args...), strings.NewReader(""), &stdout, &stderr)
			if status != tc.status {
				t.Errorf("status %d, want %d (stderr %s)", status, tc.status, stderr.String())
			}
			if !strings.Contains(stdout.String(), tc.out) {
				t.Errorf("output lacks %q:\n%s", tc.out, stdout.String())
			}
		})
	}
}

func TestValidateSARIF(t *testing.T) {
	doc := "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [{\"Effect\": \"Allow\", \"Action\": [\"s3:GetObject\", \"s3:Get*\"], \"Resource\": \"*\"}]\n}"
	var stdout, stderr bytes.Buffer
	if status := run([]string{"validate", "--format", "sarif", "-"}, strings.NewReader(doc), &stdout, &stderr); status != 0 {
		t.Fatalf("status %d: %s", status, stderr.String())
	}
	var log sarifDoc
	if err := json.Unmarshal(stdout.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	run0 := log.Runs[0]
	if len(run0.Tool.Driver.Rules) != 1 || run0.Tool.Driver.Rules[0].ID != "REDUNDANT_ACTION" || len(run0.Results) != 1 {
		t.Fatalf("log = %+v", log)
	}
	r := run0.Results[0]
	region := r.Locations[0].PhysicalLocation.Region
	if r.Level != "note" || region.StartLine != 3 || doc[region.CharOffset:region.CharOffset+region.CharLength] != `"s3:GetObject"` {
		t.Errorf("result = %+v", r)
	}
	if got := r.Locations[0].LogicalLocations[0].FullyQualifiedName; got != "Statement[0].Action[0]" {
		t.Errorf("logical location %s", got)
	}
}
