package analyzer

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/gatehouse-iam/gatehouse/policy"
)

// lenientChecks are the findings AWS's reference gives a type below ERROR
// although IAM refuses such documents (empty arrays, unique IDs as
// principals, Null with a set qualifier).
var lenientChecks = map[string]bool{
	"EMPTY_ARRAY_ACTION": true, "EMPTY_ARRAY_RESOURCE": true, "EMPTY_ARRAY_PRINCIPAL": true,
	"EMPTY_ARRAY_CONDITION": true, "EMPTY_ARRAY_CONDITION_FORALLVALUES": true,
	"EMPTY_ARRAY_CONDITION_FORANYVALUE": true, "EMPTY_ARRAY_CONDITION_IFEXISTS": true,
	"EMPTY_OBJECT_PRINCIPAL": true, "EMPTY_OBJECT_CONDITION": true,
	"INVALID_ROLE_REFERENCE": true, "INVALID_USER_REFERENCE": true, "NULL_WITH_QUALIFIER": true,
}

// TestErrorsWhereIAMRejects checks the validator against the policy
// parser IAM uses: a golden document the parser rejects must draw an ERROR
// finding (so that `gatehouse validate --fail-on error` in CI catches what
// the API would refuse), unless AWS's reference deliberately reports the
// fault at a lower level.
func TestErrorsWhereIAMRejects(t *testing.T) {
	kinds := map[PolicyType]policy.Kind{IdentityPolicy: policy.Identity, ResourcePolicy: policy.Resource,
		ServiceControlPolicy: policy.SCP, ResourceControlPolicy: policy.RCP}
	files, _ := filepath.Glob("testdata/golden/*.json")
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var g golden
		if err := json.Unmarshal(raw, &g); err != nil {
			t.Fatal(err)
		}
		doc := string(g.Policy)
		var s string
		if json.Unmarshal(g.Policy, &s) == nil {
			doc = s
		}
		kind := kinds[g.PolicyType]
		if g.ResourceType == TrustPolicyResourceType {
			kind = policy.Trust
		}
		_, perr := policy.Parse(doc, kind)
		if perr == nil {
			continue
		}
		hasError := false
		for _, f := range Validate(doc, g.PolicyType, Options{ResourceType: g.ResourceType}) {
			hasError = hasError || f.FindingType == Error || lenientChecks[f.IssueCode]
		}
		if !hasError {
			t.Errorf("%s: IAM rejects the document (%v) but the validator reports no ERROR", filepath.Base(file), perr)
		}
	}
}
