package e2e_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// seedPolicy is a deploy role's identity policy as a CI pipeline would
// validate it before applying: a typo in an action and iam:PassRole on
// every role.
const seedPolicy = `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "Deploy",
      "Effect": "Allow",
      "Action": ["ecs:UpdateService", "ecs:DescribeServices", "ecs:RegisterTaskDefinitionn"],
      "Resource": "*"
    },
    {
      "Sid": "PassTaskRoles",
      "Effect": "Allow",
      "Action": "iam:PassRole",
      "Resource": "*"
    }
  ]
}`

// TestCLIValidatePolicy runs the issue's command, `aws accessanalyzer
// validate-policy --policy-type IDENTITY_POLICY --policy-document
// file://policy.json`, against gatehouse serve, and `gatehouse validate` on
// the same file.
func TestCLIValidatePolicy(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	aws := newAWSCLI(t, srv.URL, rootKeyID, rootSecret)
	dir := t.TempDir()
	file := writeFile(t, dir, "policy.json", seedPolicy)
	out := aws.ok(t, "accessanalyzer", "validate-policy", "--policy-type", "IDENTITY_POLICY", "--policy-document", "file://"+file)
	findings, _ := field(out, "findings").([]any)
	want := []struct{ code, typ, path string }{
		{"INVALID_ACTION", "ERROR", `[{"value":"Statement"},{"index":0},{"value":"Action"},{"index":2}]`},
		{"PASS_ROLE_WITH_STAR_IN_RESOURCE", "SECURITY_WARNING", `[{"value":"Statement"},{"index":1},{"value":"Resource"}]`},
	}
	if len(findings) != len(want) {
		t.Fatalf("findings: %v", out)
	}
	for i, w := range want {
		f := findings[i]
		path, _ := json.Marshal(field(f, "locations", 0, "path"))
		if field(f, "issueCode") != w.code || field(f, "findingType") != w.typ || string(path) != w.path {
			t.Errorf("finding %d: %v", i, f)
		}
		start, end := field(f, "locations", 0, "span", "start", "offset"), field(f, "locations", 0, "span", "end", "offset")
		if s, ok := start.(float64); !ok || end.(float64) <= s || !strings.HasPrefix(seedPolicy[int(s):], `"`) {
			t.Errorf("finding %d span %v..%v", i, start, end)
		}
	}
	r := aws.run(t, "accessanalyzer", "validate-policy", "--policy-type", "IDENTITY_POLICY", "--policy-document", "file://"+file,
		"--validate-policy-resource-type", "AWS::S3::Bucket")
	if code, _ := r.apiError(); code != "ValidationException" {
		t.Errorf("resource type with an identity policy: %s", r.stderr)
	}

	// The command-line form: exit status 1 on the ERROR, SARIF for code scanning.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sarif, stderr, code := runTool(ctx, dir, nil, gatehouseBin, "validate", "--format", "sarif", file)
	if code != 1 || !strings.Contains(sarif, `"ruleId": "INVALID_ACTION"`) || !strings.Contains(sarif, `"ruleId": "PASS_ROLE_WITH_STAR_IN_RESOURCE"`) {
		t.Errorf("gatehouse validate: exit %d\n%s\n%s", code, sarif, stderr)
	}
}
