package query

import (
	"flag"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/awserr"
	"github.com/gatehouse-iam/gatehouse/protocol/model"
)

var update = flag.Bool("update", false, "rewrite testdata/*.xml from the encoder's output")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("%s:\ngot  %s\nwant %s", name, got, want)
	}
}

func TestGoldenResponses(t *testing.T) {
	iam := model.MustLoad("iam")
	sts := model.MustLoad("sts")
	created := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	alice := map[string]any{"Path": "/", "UserName": "alice", "UserId": "AIDAEXAMPLEEXAMPLE001",
		"Arn": "arn:aws:iam::123456789012:user/alice", "CreateDate": created,
		"Tags": []any{map[string]any{"Key": "team", "Value": "<infra & ops>"}}}
	tests := []struct {
		file   string
		svc    *model.Service
		op     string
		result any
	}{
		{"GetUser.xml", iam, "GetUser", map[string]any{"User": alice}},
		{"ListUsers.xml", iam, "ListUsers", map[string]any{"Users": []any{alice, user("bob")}, "IsTruncated": true, "Marker": "bob"}},
		{"ListUsersEmpty.xml", iam, "ListUsers", map[string]any{"Users": []any{}, "IsTruncated": false}},
		{"CreateAccessKey.xml", iam, "CreateAccessKey", map[string]any{"AccessKey": map[string]any{"UserName": "alice",
			"AccessKeyId": "AKIAIOSFODNN7EXAMPLE", "Status": "Active", "SecretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
			"CreateDate": created}}},
		{"DeleteUser.xml", iam, "DeleteUser", nil},
		{"GetRolePolicy.xml", iam, "GetRolePolicy", map[string]any{"RoleName": "r", "PolicyName": "p",
			"PolicyDocument": `{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::a+b/*"}}`}},
		{"AssumeRole.xml", sts, "AssumeRole", map[string]any{
			"Credentials": map[string]any{"AccessKeyId": "ASIAEXAMPLE", "SecretAccessKey": "secret",
				"SessionToken": "token", "Expiration": created.Add(time.Hour)},
			"AssumedRoleUser":  map[string]any{"AssumedRoleId": "AROAEXAMPLE:sess", "Arn": "arn:aws:sts::123456789012:assumed-role/r/sess"},
			"PackedPolicySize": 6, "SourceIdentity": "alice"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			b, err := Marshal(tt.svc, tt.svc.Operations[tt.op], tt.result, "7a62c49f-347e-4fc4-9331-6e8eEXAMPLE")
			if err != nil {
				t.Fatal(err)
			}
			golden(t, tt.file, b)
		})
	}
}

func TestGoldenError(t *testing.T) {
	iam := model.MustLoad("iam")
	w := httptest.NewRecorder()
	WriteError(w, iam, awserr.New("NoSuchEntity", "The user with name carol cannot be found."), "req-2")
	if w.Code != 404 || w.Header().Get("Content-Type") != "text/xml" {
		t.Errorf("status %d, content type %q", w.Code, w.Header().Get("Content-Type"))
	}
	golden(t, "NoSuchEntity.xml", w.Body.Bytes())
}

func TestMarshalRejectsMisfits(t *testing.T) {
	iam := model.MustLoad("iam")
	tests := []struct {
		op     string
		result any
	}{
		{"ListUsers", map[string]any{"Users": "alice"}},
		{"GetUser", map[string]any{"User": map[string]any{"CreateDate": "yesterday"}}},
		{"ListUsers", map[string]any{"IsTruncated": "yes"}},
	}
	for _, tt := range tests {
		if b, err := Marshal(iam, iam.Operations[tt.op], tt.result, "r"); err == nil {
			t.Errorf("%s %v: encoded %s", tt.op, tt.result, b)
		}
	}
	w := httptest.NewRecorder()
	WriteResponse(w, iam, iam.Operations["ListUsers"], map[string]any{"Users": 3}, "r")
	if w.Code != 500 {
		t.Errorf("misfit result answered %d", w.Code)
	}
}
