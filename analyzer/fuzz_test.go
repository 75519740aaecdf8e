package analyzer

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// FuzzValidate checks that no document makes the validator panic, emit a
// code outside AWS's reference, or point outside the document.
func FuzzValidate(f *testing.F) {
	files, _ := filepath.Glob("testdata/golden/*.json")
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		var g golden
		if err := json.Unmarshal(raw, &g); err != nil {
			f.Fatal(err)
		}
		f.Add(string(g.Policy), uint8(0))
	}
	types := []PolicyType{IdentityPolicy, ResourcePolicy, ServiceControlPolicy, ResourceControlPolicy, ResourcePolicy}
	f.Fuzz(func(t *testing.T, doc string, kind uint8) {
		typ := types[int(kind)%len(types)]
		var opts Options
		if int(kind)%len(types) == len(types)-1 {
			opts.ResourceType = TrustPolicyResourceType
		}
		for _, fd := range Validate(doc, typ, opts) {
			if want, ok := IssueType(fd.IssueCode); !ok || want != fd.FindingType {
				t.Fatalf("finding %s of type %s is not in AWS's reference", fd.IssueCode, fd.FindingType)
			}
			if len(fd.Locations) != 1 {
				t.Fatalf("%s: %d locations", fd.IssueCode, len(fd.Locations))
			}
			span := fd.Locations[0].Span
			if span.Start.Offset < 0 || span.End.Offset > len(doc) || span.End.Offset < span.Start.Offset {
				t.Fatalf("%s: span %+v outside a %d-byte document", fd.IssueCode, span, len(doc))
			}
		}
	})
}
