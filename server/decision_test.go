package server_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/gatehouse-iam/gatehouse/internal/testserver"
	"github.com/gatehouse-iam/gatehouse/sigv4"
)

// callV1 sends a SigV4-signed (service "gatehouse") request to the native API.
func callV1(t *testing.T, ts *testserver.Server, cred sigv4.Credential, method, path, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if err := sigv4.Sign(req, []byte(body), cred, "us-east-1", "gatehouse", time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, raw)
	}
	return resp.StatusCode, out
}

func TestDecisionAPI(t *testing.T) {
	ts := testserver.Start(t)
	ctx := context.Background()
	c := ts.IAMClient()
	mustDo := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	// The calling service, allowed to ask and to manage resource policies.
	mustDo(c.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("artifact-service")}))
	mustDo(c.PutUserPolicy(ctx, &iamsdk.PutUserPolicyInput{UserName: aws.String("artifact-service"), PolicyName: aws.String("ask"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"gatehouse:*","Resource":"*"}}`)}))
	svcKey, err := c.CreateAccessKey(ctx, &iamsdk.CreateAccessKeyInput{UserName: aws.String("artifact-service")})
	mustDo(svcKey, err)
	svc := sigv4.Credential{AccessKeyID: *svcKey.AccessKey.AccessKeyId, SecretAccessKey: *svcKey.AccessKey.SecretAccessKey}
	// End users: alice may read one prefix over TLS only; bob has nothing of his own.
	mustDo(c.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("alice")}))
	mustDo(c.PutUserPolicy(ctx, &iamsdk.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("read"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::my-app-artifacts/builds/*",
		  "Condition":{"Bool":{"aws:SecureTransport":"true"}}}}`)}))
	aliceKey, err := c.CreateAccessKey(ctx, &iamsdk.CreateAccessKeyInput{UserName: aws.String("alice")})
	mustDo(aliceKey, err)
	mustDo(c.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("bob")}))

	status, out := callV1(t, ts, svc, "POST", "/_gatehouse/v1/authorize", `{"principal_arn":"arn:aws:iam::123456789012:user/alice",
	  "action":"s3:GetObject","resource":"arn:aws:s3:::my-app-artifacts/builds/1.zip","context":{"aws:SecureTransport":true}}`)
	if status != 200 || out["decision"] != "allow" {
		t.Fatalf("alice over TLS: %d %v", status, out)
	}
	_, out = callV1(t, ts, svc, "POST", "/_gatehouse/v1/authorize", `{"principal_arn":"arn:aws:iam::123456789012:user/alice",
	  "action":"s3:GetObject","resource":"arn:aws:s3:::my-app-artifacts/builds/1.zip","context":{"aws:SecureTransport":"false"}}`)
	if out["decision"] != "implicit_deny" || !strings.Contains(out["reason"].(string), "no identity-based policy allows") {
		t.Fatalf("alice without TLS: %v", out)
	}
	// A bucket policy grants bob read access and denies deletes to everyone.
	status, out = callV1(t, ts, svc, "PUT", "/_gatehouse/v1/resource-policies?arn=arn:aws:s3:::my-app-artifacts", `{"policy":
	  {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/bob"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::my-app-artifacts/*"},
	  {"Effect":"Deny","Principal":"*","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::my-app-artifacts/*"}]}}`)
	if status != 200 {
		t.Fatalf("put resource policy: %d %v", status, out)
	}
	status, out = callV1(t, ts, svc, "POST", "/_gatehouse/v1/authorize", `{"principal_arn":"arn:aws:iam::123456789012:user/bob","requests":[
	  {"action":"s3:GetObject","resource":"arn:aws:s3:::my-app-artifacts/builds/1.zip"},
	  {"action":"s3:DeleteObject","resource":"arn:aws:s3:::my-app-artifacts/builds/1.zip"},
	  {"action":"s3:PutObject","resource":"arn:aws:s3:::my-app-artifacts/builds/1.zip"},
	  {"action":"s3:GetObject","resource":"arn:aws:s3:::other-bucket/builds/1.zip"},
	  {"action":"s3:GetObject","resource":"arn:aws:s3:::my-app-artifacts/builds/2.zip"}]}`)
	results, _ := out["results"].([]any)
	if status != 200 || len(results) != 5 {
		t.Fatalf("batch: %d %v", status, out)
	}
	want := []string{"allow", "explicit_deny", "implicit_deny", "implicit_deny", "allow"}
	for i, r := range results {
		if got := r.(map[string]any)["decision"]; got != want[i] {
			t.Errorf("batch[%d]: %v, want %s", i, got, want[i])
		}
	}
	// The end user's own signed request, verified by Gatehouse.
	userReq, _ := http.NewRequest("GET", "https://artifacts.internal.example/builds/1.zip", nil)
	aliceCred := sigv4.Credential{AccessKeyID: *aliceKey.AccessKey.AccessKeyId, SecretAccessKey: *aliceKey.AccessKey.SecretAccessKey}
	if err := sigv4.Sign(userReq, nil, aliceCred, "us-east-1", "artifacts", time.Now()); err != nil {
		t.Fatal(err)
	}
	headers := map[string]string{"Host": userReq.Host}
	for k := range userReq.Header {
		headers[k] = userReq.Header.Get(k)
	}
	signed, _ := json.Marshal(map[string]any{"signed_request": map[string]any{"method": "GET", "url": userReq.URL.String(),
		"headers": headers, "body": base64.StdEncoding.EncodeToString(nil)},
		"action": "s3:GetObject", "resource": "arn:aws:s3:::my-app-artifacts/builds/1.zip", "context": map[string]any{"aws:SecureTransport": "true"}})
	status, out = callV1(t, ts, svc, "POST", "/_gatehouse/v1/authorize", string(signed))
	if status != 200 || out["decision"] != "allow" || out["principal"].(map[string]any)["arn"] != "arn:aws:iam::123456789012:user/alice" {
		t.Fatalf("signed request: %d %v", status, out)
	}
	headers["Authorization"] = strings.Replace(headers["Authorization"], "Signature=", "Signature=0", 1)
	signed, _ = json.Marshal(map[string]any{"signed_request": map[string]any{"method": "GET", "url": userReq.URL.String(), "headers": headers},
		"action": "s3:GetObject", "resource": "arn:aws:s3:::my-app-artifacts/builds/1.zip"})
	if status, out = callV1(t, ts, svc, "POST", "/_gatehouse/v1/authorize", string(signed)); status != 403 {
		t.Fatalf("tampered signed request: %d %v", status, out)
	}
	// Alice may not ask.
	if status, out = callV1(t, ts, aliceCred, "POST", "/_gatehouse/v1/authorize", `{"principal_arn":"arn:aws:iam::123456789012:user/bob","action":"s3:GetObject","resource":"*"}`); status != 403 || out["__type"] != "AccessDenied" {
		t.Fatalf("alice asking: %d %v", status, out)
	}
	// Listing and deleting resource policies.
	if _, out = callV1(t, ts, svc, "GET", "/_gatehouse/v1/resource-policies?prefix=arn:aws:s3:::", ""); len(out["resource_policies"].([]any)) != 1 {
		t.Fatalf("list: %v", out)
	}
	if status, _ = callV1(t, ts, svc, "DELETE", "/_gatehouse/v1/resource-policies?arn=arn:aws:s3:::my-app-artifacts", ""); status != 200 {
		t.Fatalf("delete: %d", status)
	}
	if status, out = callV1(t, ts, svc, "PUT", "/_gatehouse/v1/resource-policies?arn=arn:aws:s3:::x", `{"policy":{"Statement":[{"Effect":"Allow","Action":"s3:*"}]}}`); status != 400 || out["__type"] != "MalformedPolicyDocument" {
		t.Fatalf("malformed resource policy: %d %v", status, out)
	}
}

// TestDecisionAPIBatchContexts checks that each question of a batch is
// decided with its own context, whether it repeats the previous question's
// or not, and the validation errors of malformed bodies.
func TestDecisionAPIBatchContexts(t *testing.T) {
	ts := testserver.Start(t)
	c := ts.IAMClient()
	ctx := context.Background()
	if _, err := c.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("alice")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutUserPolicy(ctx, &iamsdk.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("read"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*",
		  "Condition":{"Bool":{"aws:SecureTransport":"true"},"NumericLessThan":{"s3:max-keys":"10"}}}}`)}); err != nil {
		t.Fatal(err)
	}
	root := sigv4.Credential{AccessKeyID: testserver.RootKeyID, SecretAccessKey: testserver.RootSecret}
	status, out := callV1(t, ts, root, "POST", "/_gatehouse/v1/authorize", `{"principal_arn":"arn:aws:iam::123456789012:user/alice","requests":[
	  {"action":"s3:GetObject","resource":"arn:aws:s3:::b/1","context":{"aws:SecureTransport":true,"s3:max-keys":5}},
	  {"action":"s3:GetObject","resource":"arn:aws:s3:::b/2","context":{"aws:SecureTransport":true,"s3:max-keys":5}},
	  {"action":"s3:GetObject","resource":"arn:aws:s3:::b/3","context":{"aws:SecureTransport":false,"s3:max-keys":5}},
	  {"action":"s3:GetObject","resource":"arn:aws:s3:::b/4","context":{"AWS:SECURETRANSPORT":["true"],"s3:max-keys":"5.0"}},
	  {"action":"s3:GetObject","resource":"arn:aws:s3:::b/5","context":{"aws:SecureTransport":true,"s3:max-keys":50}},
	  {"action":"s3:GetObject","resource":"arn:aws:s3:::b/6"},
	  {"action":"s3:GetObject","resource":"arn:aws:s3:::b/7","context":{"aws:SecureTransport":true,"s3:max-keys":5}}]}`)
	results, _ := out["results"].([]any)
	if status != 200 || len(results) != 7 {
		t.Fatalf("batch: %d %v", status, out)
	}
	want := []string{"allow", "allow", "implicit_deny", "allow", "implicit_deny", "implicit_deny", "allow"}
	for i, r := range results {
		if got := r.(map[string]any)["decision"]; got != want[i] {
			t.Errorf("batch[%d]: %v, want %s", i, got, want[i])
		}
	}
	if missing := results[5].(map[string]any)["missing_context_keys"].([]any); len(missing) != 2 {
		t.Errorf("batch[5] without context: missing keys %v", missing)
	}
	for _, tt := range []struct{ body, message string }{
		{`{"principal_arn":"arn:aws:iam::123456789012:user/alice","action":"s3:GetObject","bogus":1}`, `The request body is not valid: json: unknown field "bogus"`},
		{`{"principal_arn":"arn:aws:iam::123456789012:user/alice","action":5}`, "The request body is not valid: json: cannot unmarshal number"},
		{`{"principal_arn":"arn:aws:iam::123456789012:user/alice",`, "The request body is not valid: unexpected EOF"},
		{`{"principal_arn":"arn:aws:iam::123456789012:user/alice","requests":[]}`, "Give between 1 and 1,000 requests."},
		{`{"principal_arn":"arn:aws:iam::123456789012:user/alice","requests":[{"action":"s3:GetObject"},{"action":"GetObject"}]}`,
			`requests[1]: action must be "service:Name".`},
	} {
		status, out := callV1(t, ts, root, "POST", "/_gatehouse/v1/authorize", tt.body)
		if msg, _ := out["message"].(string); status != 400 || out["__type"] != "ValidationException" || !strings.HasPrefix(msg, tt.message) {
			t.Errorf("%s: %d %v, want %s", tt.body, status, out, tt.message)
		}
	}
}
