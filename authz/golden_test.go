package authz_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatehouse-iam/gatehouse/evaldoc"
)

// goldenCase is one case of the golden corpus: an authorization document, the
// decision AWS makes for it, and the documentation that says so.
type goldenCase struct {
	Name            string          `json:"name"`
	Cite            string          `json:"cite"`
	Input           json.RawMessage `json:"input"`
	Decision        string          `json:"decision"`
	ExplainContains []string        `json:"explain_contains"`
}

// TestGolden runs every case under testdata/golden.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "golden", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	names := map[string]string{}
	total := 0
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var corpus struct {
			Cases []goldenCase `json:"cases"`
		}
		if err := json.Unmarshal(data, &corpus); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		for _, c := range corpus.Cases {
			total++
			if prev, dup := names[c.Name]; dup {
				t.Errorf("%s: case %q also in %s", file, c.Name, prev)
			}
			names[c.Name] = file
			t.Run(strings.TrimSuffix(filepath.Base(file), ".json")+"/"+c.Name, func(t *testing.T) {
				if c.Cite == "" {
					t.Error("case cites no documentation")
				}
				doc, err := evaldoc.Parse(c.Input)
				if err != nil {
					t.Fatalf("parse: %v", err)
				}
				res := doc.Evaluate()[0]
				if res.Decision != c.Decision {
					out, _ := json.MarshalIndent(res, "", "  ")
					t.Fatalf("decision %s, want %s (%s)\n%s", res.Decision, c.Decision, c.Cite, out)
				}
				for _, want := range c.ExplainContains {
					if !strings.Contains(res.Reason, want) && !strings.Contains(res.Detail, want) {
						t.Errorf("explanation %q does not contain %q", res.Reason, want)
					}
				}
			})
		}
	}
	t.Logf("%d golden cases in %d files", total, len(files))
}
