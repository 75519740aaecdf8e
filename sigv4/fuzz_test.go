package sigv4

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse-iam/gatehouse/awserr"
)

// FuzzVerify feeds arbitrary request lines, headers and bodies to Verify: it
// must never panic, and every error must be an AWS error.
func FuzzVerify(f *testing.F) {
	for _, v := range suiteVectors {
		auth := ""
		for _, h := range v.headers {
			if a, ok := strings.CutPrefix(h, "Authorization:"); ok {
				auth = a
			}
		}
		f.Add(v.method, v.target, auth, "20150830T123600Z", "My-Header1: a  b ", v.body)
	}
	f.Add("GET", "/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a%2Fb&X-Amz-Date=x&X-Amz-SignedHeaders=host&X-Amz-Signature=00&X-Amz-Expires=-1",
		"", "", "", "")
	f.Add("POST", "/%", "AWS4-HMAC-SHA256 Credential=/////, SignedHeaders=;;, Signature=", "20150830T123600Z", "X-Amz-Content-Sha256:zz", "")
	v := suiteVerifier()
	f.Fuzz(func(t *testing.T, method, target, auth, date, header, body string) {
		path, query, _ := strings.Cut(target, "?")
		r := &http.Request{
			Method:     method,
			RequestURI: target,
			URL:        &url.URL{Path: path, RawQuery: query},
			Host:       "example.amazonaws.com",
			Header:     http.Header{},
		}
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		if date != "" {
			r.Header.Set("X-Amz-Date", date)
		}
		if k, val, ok := strings.Cut(header, ":"); ok {
			r.Header.Add(k, val)
		}
		_, err := v.Verify(r, []byte(body))
		if err != nil && awserr.As(err) == nil {
			t.Fatalf("Verify returned a non-AWS error: %v", err)
		}
	})
}

// FuzzParseAuthorization checks that any Authorization header parses or is
// refused with IncompleteSignature, without panicking.
func FuzzParseAuthorization(f *testing.F) {
	f.Add("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa0", true)
	f.Add("AWS4-HMAC-SHA256", false)
	f.Add("AWS4-HMAC-SHA256 Credential=a,,Signature==,SignedHeaders", true)
	f.Add("Basic dXNlcjpwYXNz", true)
	f.Add(" \tAWS4-HMAC-SHA256  Credential=x ", true)
	f.Fuzz(func(t *testing.T, h string, hasDate bool) {
		fields, err := parseAuthorization(h, hasDate)
		if err != nil {
			if e := awserr.As(err); e == nil || e.Code != "IncompleteSignature" {
				t.Fatalf("parseAuthorization(%q) = %v", h, err)
			}
			return
		}
		if !hasDate {
			t.Fatalf("parseAuthorization(%q) accepted a request without a date", h)
		}
		if !strings.Contains(h, fields.Credential) || !strings.Contains(h, fields.Signature) || !strings.Contains(h, fields.SignedHeaders) {
			t.Fatalf("parseAuthorization(%q) = %+v: fields not from the header", h, fields)
		}
	})
}

// FuzzSignVerify checks that whatever path, query, header value and body a
// request has, what Sign and Presign produce verifies.
func FuzzSignVerify(f *testing.F) {
	f.Add("/", "Action=ListUsers&Version=2010-05-08", "application/x-www-form-urlencoded", "Path=%2F")
	f.Add("/a b/é/../c", "k=a+b&k=a%2Fb&%E1%88%B4=1&empty", "  x   y  ", "")
	f.Add("//x//", "==&&=", "\t", "ሴ")
	v := testVerifier()
	cred := Credential{AccessKeyID: testKey, SecretAccessKey: testSecret}
	f.Fuzz(func(t *testing.T, path, query, headerValue, body string) {
		if _, err := parseQuery(query, nil); err != nil {
			return // Sign refuses a malformed query as Verify does
		}
		newRequest := func() *http.Request {
			return &http.Request{
				Method: "POST",
				URL:    &url.URL{Path: path, RawQuery: query},
				Host:   "localhost:8080",
				Header: http.Header{"Content-Type": {headerValue}},
			}
		}
		r := newRequest()
		if err := Sign(r, []byte(body), cred, "us-east-1", "iam", testNow); err != nil {
			t.Fatal(err)
		}
		if _, err := v.Verify(r, []byte(body)); err != nil {
			t.Fatalf("Verify(Sign(path %q, query %q)) = %v", path, query, err)
		}
		p := newRequest()
		if err := Presign(p, []byte(body), cred, "us-east-1", "iam", testNow, MaxPresignExpires); err != nil {
			t.Fatal(err)
		}
		if _, err := v.Verify(p, []byte(body)); err != nil {
			t.Fatalf("Verify(Presign(path %q, query %q)) = %v", path, query, err)
		}
	})
}
