package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/gatehouse-iam/gatehouse/analyzer"
)

const validateUsage = `usage: gatehouse validate FILE... [--type identity|resource|trust|scp|rcp]
       [--format text|json|sarif] [--fail-on error|security_warning|warning|suggestion] [--extended]

Validates policy documents as IAM Access Analyzer's ValidatePolicy does and prints
its findings. --extended adds Gatehouse's own checks (codes GATEHOUSE_...): public
access in resource policies, trust policies open to every AWS principal, and wildcards
over write or permissions management actions on all resources. The exit status is 1
when a finding at or above --fail-on exists, 2 on usage errors or unreadable files,
0 otherwise. FILE "-" reads stdin.

`

// validateTypes maps --type to ValidatePolicy's policy type and resource type.
var validateTypes = map[string]struct {
	typ          analyzer.PolicyType
	resourceType string
}{
	"identity": {analyzer.IdentityPolicy, ""},
	"resource": {analyzer.ResourcePolicy, ""},
	"trust":    {analyzer.ResourcePolicy, analyzer.TrustPolicyResourceType},
	"scp":      {analyzer.ServiceControlPolicy, ""},
	"rcp":      {analyzer.ResourceControlPolicy, ""},
}

// validatedFile is one file's findings.
type validatedFile struct {
	File     string             `json:"file"`
	Findings []analyzer.Finding `json:"findings"`
}

// runValidate implements `gatehouse validate`.
func runValidate(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, validateUsage); fs.PrintDefaults() }
	kind := fs.String("type", "identity", "policy type: identity, resource, trust, scp or rcp")
	format := fs.String("format", "text", "output: text, json or sarif")
	failOn := fs.String("fail-on", "error", "lowest finding type that fails the command: error, security_warning, warning or suggestion")
	extended := fs.Bool("extended", false, "add Gatehouse's own checks (public access, broad trust, wildcard write and permissions management)")
	// Flags may follow the files: parse repeatedly, collecting the operands.
	var files []string
	for {
		if err := fs.Parse(args); err != nil {
			return 2
		}
		if fs.NArg() == 0 {
			break
		}
		files, args = append(files, fs.Arg(0)), fs.Args()[1:]
	}
	pt, okType := validateTypes[*kind]
	threshold := analyzer.FindingType(strings.ToUpper(*failOn)).Rank()
	if len(files) == 0 || !okType || threshold == 0 || (*format != "text" && *format != "json" && *format != "sarif") {
		fs.Usage()
		return 2
	}
	results := make([]validatedFile, 0, len(files))
	for _, name := range files {
		doc, err := readPolicyFile(name, stdin)
		if err != nil {
			fmt.Fprintf(stderr, "gatehouse validate: %v\n", err)
			return 2
		}
		findings := analyzer.Validate(doc, pt.typ, analyzer.Options{ResourceType: pt.resourceType, Extended: *extended})
		results = append(results, validatedFile{File: name, Findings: findings})
	}
	var err error
	switch *format {
	case "json":
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(results)
	case "sarif":
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(sarifLog(results))
	default:
		err = writeText(stdout, results)
	}
	if err != nil {
		fmt.Fprintf(stderr, "gatehouse validate: %v\n", err)
		return 2
	}
	for _, r := range results {
		for _, f := range r.Findings {
			if f.FindingType.Rank() >= threshold {
				return 1
			}
		}
	}
	return 0
}

// readPolicyFile reads a policy document from a file, or stdin for "-".
func readPolicyFile(name string, stdin io.Reader) (string, error) {
	in := stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return "", err
		}
		defer f.Close()
		in = f
	}
	data, err := io.ReadAll(io.LimitReader(in, 4<<20))
	if err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	return string(data), nil
}

// writeText prints one line per finding, FILE:LINE:COLUMN: TYPE CODE:
// details, with 1-based columns as editors count them, and the link to
// AWS's explanation.
func writeText(w io.Writer, results []validatedFile) error {
	total := 0
	for _, r := range results {
		for _, f := range r.Findings {
			start := f.Locations[0].Span.Start
			if _, err := fmt.Fprintf(w, "%s:%d:%d: %s %s: %s\n    %s\n", r.File, start.Line, start.Column+1,
				f.FindingType, f.IssueCode, f.FindingDetails, f.LearnMoreLink); err != nil {
				return err
			}
			total++
		}
	}
	_, err := fmt.Fprintf(w, "%d finding(s) in %d file(s)\n", total, len(results))
	return err
}

// SARIF 2.1.0, the parts code-scanning tools read.
type (
	sarifDoc struct {
		Schema  string     `json:"$schema"`
		Version string     `json:"version"`
		Runs    []sarifRun `json:"runs"`
	}
	sarifRun struct {
		Tool    sarifTool     `json:"tool"`
		Results []sarifResult `json:"results"`
	}
	sarifTool struct {
		Driver sarifDriver `json:"driver"`
	}
	sarifDriver struct {
		Name           string      `json:"name"`
		InformationURI string      `json:"informationUri"`
		Rules          []sarifRule `json:"rules"`
	}
	sarifRule struct {
		ID                   string            `json:"id"`
		Name                 string            `json:"name"`
		ShortDescription     sarifText         `json:"shortDescription"`
		HelpURI              string            `json:"helpUri"`
		DefaultConfiguration sarifConfig       `json:"defaultConfiguration"`
		Properties           map[string]string `json:"properties"`
	}
	sarifConfig struct {
		Level string `json:"level"`
	}
	sarifText struct {
		Text string `json:"text"`
	}
	sarifResult struct {
		RuleID    string          `json:"ruleId"`
		RuleIndex int             `json:"ruleIndex"`
		Level     string          `json:"level"`
		Message   sarifText       `json:"message"`
		Locations []sarifLocation `json:"locations"`
	}
	sarifLocation struct {
		PhysicalLocation sarifPhysical  `json:"physicalLocation"`
		LogicalLocations []sarifLogical `json:"logicalLocations,omitempty"`
	}
	sarifPhysical struct {
		ArtifactLocation sarifArtifact `json:"artifactLocation"`
		Region           sarifRegion   `json:"region"`
	}
	sarifArtifact struct {
		URI string `json:"uri"`
	}
	sarifRegion struct {
		StartLine   int `json:"startLine"`
		StartColumn int `json:"startColumn"`
		EndLine     int `json:"endLine"`
		EndColumn   int `json:"endColumn"`
		CharOffset  int `json:"charOffset"`
		CharLength  int `json:"charLength"`
	}
	sarifLogical struct {
		FullyQualifiedName string `json:"fullyQualifiedName"`
	}
)

// sarifLevel maps a finding type to a SARIF result level.
func sarifLevel(t analyzer.FindingType) string {
	switch t {
	case analyzer.Error, analyzer.SecurityWarning:
		return "error"
	case analyzer.Warning:
		return "warning"
	}
	return "note"
}

// sarifLog builds a SARIF log with one rule per issue code found.
func sarifLog(results []validatedFile) sarifDoc {
	codes := map[string]analyzer.FindingType{}
	for _, r := range results {
		for _, f := range r.Findings {
			codes[f.IssueCode] = f.FindingType
		}
	}
	ids := make([]string, 0, len(codes))
	for c := range codes {
		ids = append(ids, c)
	}
	sort.Strings(ids)
	index := map[string]int{}
	rules := make([]sarifRule, len(ids))
	for i, id := range ids {
		index[id] = i
		rules[i] = sarifRule{ID: id, Name: ruleName(id), ShortDescription: sarifText{analyzer.IssueTitle(id)},
			HelpURI: analyzer.LearnMoreLink(id), DefaultConfiguration: sarifConfig{sarifLevel(codes[id])},
			Properties: map[string]string{"findingType": string(codes[id])}}
	}
	out := []sarifResult{}
	for _, r := range results {
		for _, f := range r.Findings {
			res := sarifResult{RuleID: f.IssueCode, RuleIndex: index[f.IssueCode], Level: sarifLevel(f.FindingType),
				Message: sarifText{f.FindingDetails}}
			for _, l := range f.Locations {
				start, end := l.Span.Start, l.Span.End
				res.Locations = append(res.Locations, sarifLocation{
					PhysicalLocation: sarifPhysical{ArtifactLocation: sarifArtifact{URI: r.File}, Region: sarifRegion{
						StartLine: start.Line, StartColumn: start.Column + 1, EndLine: end.Line, EndColumn: end.Column + 1,
						CharOffset: start.Offset, CharLength: end.Offset - start.Offset}},
					LogicalLocations: []sarifLogical{{FullyQualifiedName: pathName(l.Path)}},
				})
			}
			out = append(out, res)
		}
	}
	return sarifDoc{Schema: "https://json.schemastore.org/sarif-2.1.0.json", Version: "2.1.0",
		Runs: []sarifRun{{Tool: sarifTool{Driver: sarifDriver{Name: "gatehouse validate",
			InformationURI: "https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html",
			Rules:          rules}}, Results: out}}}
}

// ruleName turns an issue code into a SARIF rule name: PASS_ROLE_WITH_X →
// PassRoleWithX.
func ruleName(code string) string {
	var b strings.Builder
	for _, w := range strings.Split(strings.ToLower(code), "_") {
		if w != "" {
			b.WriteString(strings.ToUpper(w[:1]) + w[1:])
		}
	}
	return b.String()
}

// pathName renders a location path: Statement[0].Condition.StringEquals.aws:SourceIp.
func pathName(p []analyzer.PathElement) string {
	var b strings.Builder
	for _, e := range p {
		switch {
		case e.Index != nil:
			b.WriteString("[" + strconv.Itoa(*e.Index) + "]")
		case e.Key != "":
			b.WriteString("." + e.Key)
		default:
			b.WriteString("." + e.Value)
		}
	}
	return strings.TrimPrefix(b.String(), ".")
}
