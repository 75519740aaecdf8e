package gateway_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/gatehouse-iam/gatehouse/gateway"
	"github.com/gatehouse-iam/gatehouse/internal/testserver"
	"github.com/gatehouse-iam/gatehouse/sigv4"
)

const proxyRoutes = `{"routes": [
  {"method": "GET", "path": "/buckets/{bucket}/objects/{key+}", "action": "s3:GetObject", "resource": "arn:aws:s3:::{bucket}/{key}"},
  {"method": "PUT", "path": "/buckets/{bucket}/objects/{key+}", "action": "s3:PutObject", "resource": "arn:aws:s3:::{bucket}/{key}"}
]}`

// user creates an IAM user with an inline policy (when given) and returns
// its access key.
func user(t testing.TB, c *iamsdk.Client, name, doc string) sigv4.Credential {
	t.Helper()
	ctx := context.Background()
	if _, err := c.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
	if doc != "" {
		if _, err := c.PutUserPolicy(ctx, &iamsdk.PutUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String("p"), PolicyDocument: aws.String(doc)}); err != nil {
			t.Fatal(err)
		}
	}
	key, err := c.CreateAccessKey(ctx, &iamsdk.CreateAccessKeyInput{UserName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	return sigv4.Credential{AccessKeyID: *key.AccessKey.AccessKeyId, SecretAccessKey: *key.AccessKey.SecretAccessKey}
}

func TestProxy(t *testing.T) {
	ts := testserver.Start(t)
	c := ts.IAMClient()
	svc := user(t, c, "gateway", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"gatehouse:Authorize","Resource":"*"}}`)
	alice := user(t, c, "alice", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::b1/builds/*",
	  "Condition":{"IpAddress":{"aws:SourceIp":"127.0.0.0/8"}}}}`)
	bob := user(t, c, "bob", "")

	// The upstream echoes what it was told about the caller.
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		io.WriteString(w, r.Method+" "+r.URL.Path+" "+r.Header.Get(gateway.HeaderPrincipalARN)+" "+r.Header.Get(gateway.HeaderAccount)+" "+
			r.Header.Get(gateway.HeaderType)+" "+r.Header.Get("X-Gatehouse-Evil")+" "+string(body))
	}))
	defer upstream.Close()
	routes, err := gateway.ParseRoutes(strings.NewReader(proxyRoutes))
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(upstream.URL)
	proxy := httptest.NewServer(gateway.NewProxy(u, gateway.Config{Routes: routes, Decider: gateway.NewRemote(ts.URL, svc, "us-east-1")}))
	defer proxy.Close()

	send := func(cred *sigv4.Credential, method, path, body string, presign bool, header map[string]string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, proxy.URL+path, strings.NewReader(body))
		for k, v := range header {
			req.Header.Set(k, v)
		}
		switch {
		case cred != nil && presign:
			if err := sigv4.Presign(req, []byte(body), *cred, "eu-west-1", "artifacts", time.Now(), time.Minute); err != nil {
				t.Fatal(err)
			}
		case cred != nil:
			if err := sigv4.Sign(req, []byte(body), *cred, "eu-west-1", "artifacts", time.Now()); err != nil {
				t.Fatal(err)
			}
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(raw)
	}
	aliceARN := "arn:aws:iam::123456789012:user/alice"
	tests := []struct {
		name          string
		cred          *sigv4.Credential
		method, path  string
		body          string
		presign       bool
		header        map[string]string
		status        int
		want, wantNot string
	}{
		{"allowed GET", &alice, "GET", "/buckets/b1/objects/builds/1.zip", "", false, nil, 200,
			"GET /buckets/b1/objects/builds/1.zip " + aliceARN + " 123456789012 iam_user  ", ""},
		{"allowed PUT with body", &alice, "PUT", "/buckets/b1/objects/builds/2.zip", "payload", false, nil, 200, "PUT /buckets/b1/objects/builds/2.zip " + aliceARN, ""},
		{"presigned", &alice, "GET", "/buckets/b1/objects/builds/1.zip", "", true, nil, 200, aliceARN, ""},
		{"client identity headers are stripped", &alice, "GET", "/buckets/b1/objects/builds/1.zip", "", false,
			map[string]string{gateway.HeaderPrincipalARN: "arn:aws:iam::999999999999:root", "X-Gatehouse-Evil": "yes"}, 200, aliceARN + " 123456789012 iam_user  ", "999999999999"},
		{"identity headers survive a Connection header naming them", &alice, "GET", "/buckets/b1/objects/builds/1.zip", "", false,
			map[string]string{"Connection": "X-Gatehouse-Principal-Arn, X-Gatehouse-Principal-Account"}, 200, aliceARN + " 123456789012 iam_user  ", ""},
		{"outside the granted prefix", &alice, "GET", "/buckets/b1/objects/secret", "", false, nil, 403,
			"<Code>AccessDenied</Code><Message>User: " + aliceARN + " is not authorized to perform: s3:GetObject on resource: arn:aws:s3:::b1/secret", ""},
		{"no policy", &bob, "GET", "/buckets/b1/objects/builds/1.zip", "", false, nil, 403, "<Code>AccessDenied</Code>", ""},
		{"unsigned", nil, "GET", "/buckets/b1/objects/builds/1.zip", "", false, nil, 403, "<Code>MissingAuthenticationToken</Code>", ""},
		{"wrong secret", &sigv4.Credential{AccessKeyID: alice.AccessKeyID, SecretAccessKey: "wrong"}, "GET", "/buckets/b1/objects/builds/1.zip", "", false, nil, 403,
			"<Code>SignatureDoesNotMatch</Code>", ""},
		{"dot segments", &alice, "GET", "/buckets/b1/objects/builds/%2E%2E/secret", "", false, nil, 400, "<Code>InvalidURI</Code>", ""},
		{"no route", &alice, "DELETE", "/buckets/b1/objects/builds/1.zip", "", false, nil, 404, "<Code>NotFound</Code>", ""},
	}
	for _, tt := range tests {
		status, body := send(tt.cred, tt.method, tt.path, tt.body, tt.presign, tt.header)
		if status != tt.status || !strings.Contains(body, tt.want) || (tt.wantNot != "" && strings.Contains(body, tt.wantNot)) {
			t.Errorf("%s: %d %s; want %d containing %q", tt.name, status, body, tt.status, tt.want)
		}
	}
	// The body reaches the upstream intact.
	if _, body := send(&alice, "PUT", "/buckets/b1/objects/builds/3.zip", "hello world", false, nil); !strings.HasSuffix(body, " hello world") {
		t.Errorf("PUT body: %s", body)
	}
}
