package server_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/gatehouse-iam/gatehouse/internal/testserver"
	"github.com/gatehouse-iam/gatehouse/sigv4"
)

// signedPost sends a form body signed with the root keys and returns the
// status and body.
func signedPost(t testing.TB, ts *testserver.Server, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, ts.URL+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	cred := sigv4.Credential{AccessKeyID: testserver.RootKeyID, SecretAccessKey: testserver.RootSecret}
	if err := sigv4.Sign(req, []byte(body), cred, "eu-west-3", "iam", time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(out)
}

func TestProtocolErrors(t *testing.T) {
	ts := testserver.Start(t)
	tests := []struct {
		name, body string
		status     int
		code       string
	}{
		{"unknown action", "Action=Frobnicate&Version=2010-05-08", 400, "InvalidAction"},
		{"missing action", "Version=2010-05-08", 400, "MissingAction"},
		{"missing parameter", "Action=GetRole&Version=2010-05-08", 400, "ValidationError"},
		{"bad name pattern", "Action=CreateUser&Version=2010-05-08&UserName=a%2Fb", 400, "ValidationError"},
		{"invalid utf-8", "Action=CreateUser&Version=2010-05-08&UserName=%ff%fe", 400, "ValidationError"},
		{"malformed policy", "Action=CreatePolicy&Version=2010-05-08&PolicyName=p&PolicyDocument=" + url.QueryEscape(`{"Statement":[`), 400, "MalformedPolicyDocument"},
		{"no such entity", "Action=GetUser&Version=2010-05-08&UserName=nobody", 404, "NoSuchEntity"},
		{"oversized", "Action=CreateUser&Version=2010-05-08&UserName=" + strings.Repeat("a", 3<<20), 413, "RequestEntityTooLarge"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body := signedPost(t, ts, tc.body)
			if status != tc.status || !strings.Contains(body, "<Code>"+tc.code+"</Code>") {
				t.Fatalf("status %d body %s; want %d %s", status, body, tc.status, tc.code)
			}
		})
	}
}

func TestAuthenticationErrors(t *testing.T) {
	ts := testserver.Start(t)
	body := "Action=ListUsers&Version=2010-05-08"
	resp, err := http.Post(ts.URL+"/", "application/x-www-form-urlencoded", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 403 || !bytes.Contains(out, []byte("MissingAuthenticationToken")) {
		t.Fatalf("unsigned: %d %s", resp.StatusCode, out)
	}
	bad := iamsdk.NewFromConfig(ts.Config(testserver.RootKeyID, "wrong"))
	if _, err := bad.ListUsers(context.Background(), &iamsdk.ListUsersInput{}); apiCode(err) != "SignatureDoesNotMatch" {
		t.Fatalf("wrong secret: %v", err)
	}
	unknown := iamsdk.NewFromConfig(ts.Config("AKIAUNKNOWN000000000", "x"))
	if _, err := unknown.ListUsers(context.Background(), &iamsdk.ListUsersInput{}); apiCode(err) != "InvalidClientTokenId" {
		t.Fatalf("unknown key: %v", err)
	}
}

func TestListUsersPagination(t *testing.T) {
	ts := testserver.Start(t)
	ctx := context.Background()
	c := ts.IAMClient()
	for i := 0; i < 25; i++ {
		if _, err := c.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String(fmt.Sprintf("user%02d", i))}); err != nil {
			t.Fatal(err)
		}
	}
	var names []string
	pages := 0
	p := iamsdk.NewListUsersPaginator(c, &iamsdk.ListUsersInput{MaxItems: aws.Int32(10)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, u := range out.Users {
			names = append(names, *u.UserName)
		}
	}
	if pages != 3 || len(names) != 25 || names[0] != "user00" || names[24] != "user24" {
		t.Fatalf("%d pages, %d users: %v", pages, len(names), names)
	}
}

// FuzzSignedRequest signs arbitrary bodies with valid credentials: whatever
// the body, the server must answer with an AWS error or success, never a 5xx.
func FuzzSignedRequest(f *testing.F) {
	ts := testserver.Start(f)
	srv := ts.Handler()
	f.Add("Action=CreateUser&Version=2010-05-08&UserName=a")
	f.Add("Action=PutUserPolicy&Version=2010-05-08&UserName=a&PolicyName=p&PolicyDocument=%7B%7D")
	f.Add("Action=ListUsers&Version=2010-05-08&MaxItems=0&Marker=%%")
	f.Add("Action=TagUser&Version=2010-05-08&UserName=a&Tags.member.1.Key=k&Tags.member.3.Value=v")
	f.Fuzz(func(t *testing.T, body string) {
		req := httptest.NewRequest(http.MethodPost, "http://gatehouse/", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		cred := sigv4.Credential{AccessKeyID: testserver.RootKeyID, SecretAccessKey: testserver.RootSecret}
		if err := sigv4.Sign(req, []byte(body), cred, "us-east-1", "iam", time.Now()); err != nil {
			return
		}
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("status %d for %q: %s", rec.Code, body, rec.Body.String())
		}
	})
}

// TestRequestIDs checks that every response carries a fresh version-4 UUID,
// the same in the x-amzn-RequestId header and the document.
func TestRequestIDs(t *testing.T) {
	ts := testserver.Start(t)
	srv := ts.Handler()
	uuid4 := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	for _, body := range []string{"Action=ListUsers&Version=2010-05-08", "Action=GetUser&Version=2010-05-08&UserName=nobody"} {
		for range 300 {
			req := httptest.NewRequest(http.MethodPost, "http://gatehouse/", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			cred := sigv4.Credential{AccessKeyID: testserver.RootKeyID, SecretAccessKey: testserver.RootSecret}
			if err := sigv4.Sign(req, []byte(body), cred, "us-east-1", "iam", time.Now()); err != nil {
				t.Fatal(err)
			}
			rec := httptest.NewRecorder()
			srv.ServeHTTP(rec, req)
			id := rec.Header().Get("x-amzn-RequestId")
			if !uuid4.MatchString(id) || seen[id] || !strings.Contains(rec.Body.String(), "<RequestId>"+id+"</RequestId>") {
				t.Fatalf("request id %q (seen before: %v) in %s", id, seen[id], rec.Body)
			}
			seen[id] = true
		}
	}
}

// TestGlobalConditionKeys authorizes a user's calls with policies that
// test each global condition key a request carries.
func TestGlobalConditionKeys(t *testing.T) {
	ts := testserver.Start(t)
	ctx := context.Background()
	admin := ts.IAMClient()
	if _, err := admin.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("carol")}); err != nil {
		t.Fatal(err)
	}
	key, err := admin.CreateAccessKey(ctx, &iamsdk.CreateAccessKeyInput{UserName: aws.String("carol")})
	if err != nil {
		t.Fatal(err)
	}
	carol := iamsdk.NewFromConfig(ts.Config(*key.AccessKey.AccessKeyId, *key.AccessKey.SecretAccessKey))
	now := time.Now().UTC()
	tests := []struct {
		condition string
		allowed   bool
	}{
		{`{"Bool": {"aws:SecureTransport": "false"}}`, true},
		{`{"Bool": {"aws:SecureTransport": "true"}}`, false},
		{`{"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}}`, true},
		{`{"NotIpAddress": {"aws:SourceIp": "127.0.0.0/8"}}`, false},
		{`{"DateGreaterThan": {"aws:CurrentTime": "` + now.Add(-time.Hour).Format(time.RFC3339) + `"}}`, true},
		{`{"DateGreaterThan": {"aws:CurrentTime": "` + now.Add(time.Hour).Format(time.RFC3339) + `"}}`, false},
		{`{"NumericGreaterThan": {"aws:EpochTime": "` + strconv.FormatInt(now.Unix()-3600, 10) + `"}}`, true},
		{`{"NumericLessThan": {"aws:EpochTime": "` + strconv.FormatInt(now.Unix()-3600, 10) + `"}}`, false},
		{`{"StringEquals": {"aws:RequestedRegion": "` + testserver.DefaultRegion + `"}}`, true},
		{`{"StringEquals": {"aws:RequestedRegion": "nowhere-1"}}`, false},
		{`{"StringLike": {"aws:UserAgent": "*aws-sdk-go-v2*"}}`, true},
		{`{"Null": {"aws:UserAgent": "true"}}`, false},
	}
	for _, tc := range tests {
		t.Run(tc.condition, func(t *testing.T) {
			doc := `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*", "Condition": ` + tc.condition + `}]}`
			if _, err := admin.PutUserPolicy(ctx, &iamsdk.PutUserPolicyInput{UserName: aws.String("carol"),
				PolicyName: aws.String("p"), PolicyDocument: aws.String(doc)}); err != nil {
				t.Fatal(err)
			}
			_, err := carol.GetUser(ctx, &iamsdk.GetUserInput{UserName: aws.String("carol")})
			if allowed := err == nil; allowed != tc.allowed || !allowed && apiCode(err) != "AccessDenied" {
				t.Fatalf("allowed %v (%v), want %v", allowed, err, tc.allowed)
			}
		})
	}
}

// TestQueryStringAndBody checks where a query-protocol call's parameters
// come from: the query string, the form body, and the body when both name
// a parameter.
func TestQueryStringAndBody(t *testing.T) {
	ts := testserver.Start(t)
	srv := ts.Handler()
	tests := []struct {
		name, query, body string
		code              string // error code, or "" for success
	}{
		{"query string only", "Action=GetUser&Version=2010-05-08&UserName=nobody", "", "NoSuchEntity"},
		{"body only", "", "Action=GetUser&Version=2010-05-08&UserName=nobody", "NoSuchEntity"},
		{"body wins", "Action=ListUsers&UserName=somebody", "Action=GetUser&Version=2010-05-08&UserName=nobody", "NoSuchEntity"},
		{"split", "Version=2010-05-08", "Action=ListUsers", ""},
		{"malformed body", "", "Action=ListUsers&Version=2010-05-08&x=%zz", "MalformedQueryString"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPost, "http://gatehouse/?"+tc.query, strings.NewReader(tc.body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			cred := sigv4.Credential{AccessKeyID: testserver.RootKeyID, SecretAccessKey: testserver.RootSecret}
			if err := sigv4.Sign(req, []byte(tc.body), cred, "us-east-1", "iam", time.Now()); err != nil {
				t.Fatal(err)
			}
			rec := httptest.NewRecorder()
			srv.ServeHTTP(rec, req)
			if tc.code == "" && rec.Code != http.StatusOK || tc.code != "" && !strings.Contains(rec.Body.String(), "<Code>"+tc.code+"</Code>") {
				t.Fatalf("%d %s, want %q", rec.Code, rec.Body, tc.code)
			}
		})
	}
}

// TestBodyLimit checks the 2 MiB bound on request bodies, whether or not
// the client declared the body's length.
func TestBodyLimit(t *testing.T) {
	ts := testserver.Start(t)
	srv := ts.Handler()
	const limit = 2 << 20
	form := func(size int) string {
		const head = "Action=ListUsers&Version=2010-05-08&Pad="
		return head + strings.Repeat("x", size-len(head))
	}
	for _, tc := range []struct {
		size   int
		status int
	}{{100, 200}, {511, 200}, {512, 200}, {513, 200}, {limit, 200}, {limit + 1, 413}, {limit + 4096, 413}} {
		for _, declared := range []bool{true, false} {
			body := form(tc.size)
			req := httptest.NewRequest(http.MethodPost, "http://gatehouse/", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			cred := sigv4.Credential{AccessKeyID: testserver.RootKeyID, SecretAccessKey: testserver.RootSecret}
			if err := sigv4.Sign(req, []byte(body), cred, "us-east-1", "iam", time.Now()); err != nil {
				t.Fatal(err)
			}
			if !declared {
				req.ContentLength = -1
				req.Body = io.NopCloser(iotest.OneByteReader(strings.NewReader(body)))
			}
			rec := httptest.NewRecorder()
			srv.ServeHTTP(rec, req)
			if rec.Code != tc.status {
				t.Errorf("%d bytes (length declared: %v): %d %.200s", tc.size, declared, rec.Code, rec.Body)
			}
		}
	}
}
