package main

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
)

func TestEval(t *testing.T) {
	const doc = `{"policies": {"identity": ["{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":\"*\"}}"]},
	  "request": {"principal": {"type": "iam_user", "arn": "arn:aws:iam::111122223333:user/alice"},
	              "action": "s3:GetObject", "resource": {"arn": "arn:aws:s3:::b/k"}}}`
	tests := []struct {
		name, in     string
		code         int
		out, errText string
	}{
		{"allow", doc, 0, `"decision": "allow"`, ""},
		{"batch", `{"requests": [{"principal": {"type": "anonymous"}, "action": "s3:GetObject"}]}`, 0,
			`"decision": "implicit_deny"`, ""},
		{"bad json", `{"policies": `, 1, "", "reading the document"},
		{"bad policy", `{"policies": {"identity": [{"Statement": {"Effect": "allow", "Action": "*", "Resource": "*"}}]},
		  "request": {"principal": {"type": "root", "account": "111122223333"}, "action": "s3:GetObject"}}`, 1, "",
			"policies.identity[0]"},
		{"bad principal type", `{"request": {"principal": {"type": "robot"}, "action": "s3:GetObject"}}`, 1, "", "principal.type"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run([]string{"eval"}, strings.NewReader(tc.in), &stdout, &stderr)
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stderr %s", code, tc.code, stderr.String())
			}
			if !strings.Contains(stdout.String(), tc.out) || !strings.Contains(stderr.String(), tc.errText) {
				t.Fatalf("stdout %s\nstderr %s", stdout.String(), stderr.String())
			}
			if tc.code == 0 && !json.Valid(stdout.Bytes()) {
				t.Fatalf("output is not JSON: %s", stdout.String())
			}
		})
	}
}

func TestUnknownCommand(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"frobnicate"}, nil, &stdout, &stderr); code != 2 {
		t.Fatalf("exit %d", code)
	}
}

func TestSimulateLocal(t *testing.T) {
	dir := t.TempDir()
	pol := dir + "/deploy.json"
	exp := dir + "/expect.txt"
	os.WriteFile(pol, []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"},{"Effect":"Deny","Action":"iam:*","Resource":"*"}]}`), 0o600)
	os.WriteFile(exp, []byte("# the deploy role must never manage IAM\niam:CreateUser * denied\ns3:PutObject arn:aws:s3:::b/k allowed\n"), 0o600)
	var stdout, stderr bytes.Buffer
	if code := run([]string{"simulate", "--policy", pol, "--expect", exp}, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s %s", code, stdout.String(), stderr.String())
	}
	os.WriteFile(exp, []byte("iam:CreateUser * allowed\n"), 0o600)
	stdout.Reset()
	if code := run([]string{"simulate", "--policy", pol, "--expect", exp}, nil, &stdout, &stderr); code != 1 ||
		!strings.Contains(stdout.String(), "expected allowed") {
		t.Fatalf("mismatch: exit %d: %s", code, stdout.String())
	}
}
