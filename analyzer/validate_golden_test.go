package analyzer

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the expected findings of the golden files from the validator's output")

// golden is one file of testdata/golden: a policy document, how it is
// validated, the AWS reference section that documents the findings, and
// the findings AWS reports (issue code, finding type and location path).
// testdata/mkgolden.py writes the documents; -update fills in the findings,
// which are then reviewed against the cited section before committing.
type golden struct {
	Reference    string          `json:"reference"`
	PolicyType   PolicyType      `json:"policyType"`
	ResourceType string          `json:"resourceType,omitempty"`
	Policy       json.RawMessage `json:"policy"`
	Findings     []goldenFinding `json:"findings"`
}

type goldenFinding struct {
	IssueCode   string      `json:"issueCode"`
	FindingType FindingType `json:"findingType"`
	Path        string      `json:"path"`
}

// pathString renders a location path compactly: values as .Name, indexes
// as [i], keys as .<key>.
func pathString(p []PathElement) string {
	var b strings.Builder
	for _, e := range p {
		switch {
		case e.Index != nil:
			b.WriteString("[" + strconv.Itoa(*e.Index) + "]")
		case e.Key != "":
			b.WriteString(".<" + e.Key + ">")
		default:
			b.WriteString("." + e.Value)
		}
	}
	return strings.TrimPrefix(b.String(), ".")
}

func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/golden/*.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 60 {
		t.Errorf("%d golden files, want at least 60", len(files))
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".json"), func(t *testing.T) {
			raw, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var g golden
			if err := json.Unmarshal(raw, &g); err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(g.Reference, referenceURL+"#") {
				t.Errorf("reference %q does not cite AWS's policy check reference", g.Reference)
			}
			doc := string(g.Policy)
			var s string
			if json.Unmarshal(g.Policy, &s) == nil {
				doc = s // a policy given as a string, for documents that are not JSON
			}
			findings := Validate(doc, g.PolicyType, Options{ResourceType: g.ResourceType})
			got := make([]goldenFinding, len(findings))
			for i, f := range findings {
				got[i] = goldenFinding{f.IssueCode, f.FindingType, pathString(f.Locations[0].Path)}
				checkSpan(t, doc, f)
			}
			if *update {
				g.Findings = got
				out, _ := json.MarshalIndent(g, "", "  ")
				if err := os.WriteFile(file, append(out, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if len(got) != len(g.Findings) {
				t.Fatalf("got %d findings %+v, want %d %+v", len(got), got, len(g.Findings), g.Findings)
			}
			for i := range got {
				if got[i] != g.Findings[i] {
					t.Errorf("finding %d = %+v, want %+v", i, got[i], g.Findings[i])
				}
			}
		})
	}
}

// checkSpan checks that a finding's span lies inside the document and that
// its offsets agree with its lines and columns.
func checkSpan(t *testing.T, doc string, f Finding) {
	t.Helper()
	for _, l := range f.Locations {
		for _, p := range []Position{l.Span.Start, l.Span.End} {
			if p.Offset < 0 || p.Offset > len(doc) {
				t.Errorf("%s: offset %d outside the document", f.IssueCode, p.Offset)
				continue
			}
			line := strings.Count(doc[:p.Offset], "\n") + 1
			col := len([]rune(doc[strings.LastIndexByte(doc[:p.Offset], '\n')+1 : p.Offset]))
			if line != p.Line || col != p.Column {
				t.Errorf("%s: position %+v, want line %d column %d", f.IssueCode, p, line, col)
			}
		}
		if l.Span.End.Offset < l.Span.Start.Offset {
			t.Errorf("%s: span ends before it starts", f.IssueCode)
		}
	}
}
