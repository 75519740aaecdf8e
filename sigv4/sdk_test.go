package sigv4

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/gatehouse-iam/gatehouse/awserr"
)

// Interoperability with the AWS SDK for Go v2 signer: requests it signs must
// verify, and any change to them must not.

const (
	testKey    = "AKIAIOSFODNN7EXAMPLE"
	testSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	tempKey    = "ASIAIOSFODNN7EXAMPLE"
	tempSecret = "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY"
	tempToken  = "FwoGZXIvYXdzEXAMPLETOKEN+/="
)

var testNow = time.Date(2024, 3, 9, 23, 59, 30, 0, time.UTC)

// testVerifier knows one long-term key and one temporary key whose session
// token must accompany it.
func testVerifier() *Verifier {
	return &Verifier{
		Now: func() time.Time { return testNow },
		Lookup: func(_ context.Context, akid, token string) (Credential, error) {
			switch {
			case akid == testKey && token == "":
				return Credential{AccessKeyID: akid, SecretAccessKey: testSecret, Principal: "alice"}, nil
			case akid == tempKey && token == tempToken:
				return Credential{AccessKeyID: akid, SecretAccessKey: tempSecret, SessionToken: token, Principal: "role/session"}, nil
			}
			return Credential{}, awserr.New("InvalidClientTokenId", "The security token included in the request is invalid.")
		},
	}
}

func hexSHA256(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// overTheWire serializes r as an HTTP/1.1 client would and parses it back as
// net/http's server does, returning the server's request and body.
func overTheWire(t testing.TB, r *http.Request) (*http.Request, []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := r.Write(&buf); err != nil {
		t.Fatalf("write request: %v", err)
	}
	sr, err := http.ReadRequest(bufio.NewReader(&buf))
	if err != nil {
		t.Fatalf("read request: %v\n%s", err, buf.String())
	}
	body, err := io.ReadAll(sr.Body)
	if err != nil {
		t.Fatal(err)
	}
	return sr, body
}

type sdkCase struct {
	name    string
	method  string
	url     string
	body    string
	headers map[string]string
	temp    bool // sign with the temporary key and its session token
	region  string
	service string
}

var sdkCases = []sdkCase{
	{name: "IAM form POST", method: "POST", url: "http://127.0.0.1:8080/",
		body:    "Action=CreateUser&Path=%2F&UserName=alice&Version=2010-05-08",
		headers: map[string]string{"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
		region:  "us-east-1", service: "iam"},
	{name: "STS form POST, other region, session token", method: "POST", url: "https://gatehouse.example:9443/",
		body:    "Action=GetCallerIdentity&Version=2011-06-15",
		headers: map[string]string{"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
		temp:    true, region: "ap-southeast-2", service: "sts"},
	{name: "Organizations JSON POST", method: "POST", url: "http://localhost/",
		body: `{"MaxResults": 10}`,
		headers: map[string]string{
			"Content-Type": "application/x-amz-json-1.1",
			"X-Amz-Target": "AWSOrganizationsV20161128.ListAccounts",
		},
		region: "us-east-1", service: "organizations"},
	{name: "GET query with special characters", method: "GET",
		url:    "http://localhost/?b=two%20words&a=x%3Dy&tilde=~a~&slash=%2Fp%2Fq&uni=%E1%88%B4%C3%A9&plus=1%2B1&empty=&star=*&Z=last",
		region: "eu-west-1", service: "execute-api"},
	{name: "GET query with repeated keys", method: "GET",
		url:    "http://localhost/?k=a-b&k=a%2Fb&k=A&filter%5B%5D=team%2Fgroup&filter%5B%5D=team-scout",
		region: "us-west-2", service: "service"},
	{name: "path with special characters", method: "GET",
		url:    "http://localhost:8080/a%20b/c%2Fd/%C3%A9/~x/a+b/it's/(1)",
		region: "us-east-1", service: "access-analyzer"},
	{name: "rest-json POST with path and unicode body", method: "POST",
		url:     "http://localhost/policy/validation?maxResults=5",
		body:    `{"policyDocument":"{\"Version\":\"2012-10-17\"}","locale":"JA","x":"ሴ"}`,
		headers: map[string]string{"Content-Type": "application/json"},
		temp:    true, region: "eu-central-1", service: "access-analyzer"},
}

func (c sdkCase) creds() aws.Credentials {
	if c.temp {
		return aws.Credentials{AccessKeyID: tempKey, SecretAccessKey: tempSecret, SessionToken: tempToken}
	}
	return aws.Credentials{AccessKeyID: testKey, SecretAccessKey: testSecret}
}

func (c sdkCase) request(t testing.TB) *http.Request {
	t.Helper()
	var body io.Reader
	if c.body != "" {
		body = strings.NewReader(c.body)
	}
	r, err := http.NewRequest(c.method, c.url, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range c.headers {
		r.Header.Set(k, v)
	}
	return r
}

// sdkSigned returns c signed by the SDK's SignHTTP at signedAt, as the
// server receives it.
func (c sdkCase) sdkSigned(t testing.TB, signedAt time.Time) (*http.Request, []byte) {
	t.Helper()
	r := c.request(t)
	err := v4.NewSigner().SignHTTP(context.Background(), c.creds(), r, hexSHA256([]byte(c.body)), c.service, c.region, signedAt)
	if err != nil {
		t.Fatal(err)
	}
	return overTheWire(t, r)
}

// sdkPresigned returns c presigned by the SDK's PresignHTTP, valid for
// expires, as the server receives it.
func (c sdkCase) sdkPresigned(t testing.TB, signedAt time.Time, expires string) (*http.Request, []byte) {
	t.Helper()
	r := c.request(t)
	q := r.URL.Query()
	q.Set("X-Amz-Expires", expires)
	r.URL.RawQuery = q.Encode()
	u, hdr, err := v4.NewSigner().PresignHTTP(context.Background(), c.creds(), r, hexSHA256([]byte(c.body)), c.service, c.region, signedAt)
	if err != nil {
		t.Fatal(err)
	}
	var body io.Reader
	if c.body != "" {
		body = strings.NewReader(c.body)
	}
	pr, err := http.NewRequest(c.method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	pr.Header = hdr
	return overTheWire(t, pr)
}

func checkResult(t *testing.T, c sdkCase, res Result, presigned bool) {
	t.Helper()
	wantKey := testKey
	if c.temp {
		wantKey = tempKey
		if res.SessionToken != tempToken || res.Credential.SessionToken != tempToken {
			t.Errorf("session token not reported: %+v", res)
		}
	}
	if res.AccessKeyID != wantKey || res.Region != c.region || res.Service != c.service ||
		!res.SignedAt.Equal(testNow.Truncate(time.Second)) || res.Presigned != presigned || res.UnsignedPayload {
		t.Errorf("result = %+v", res)
	}
	if res.Credential.Principal == nil {
		t.Errorf("principal missing from result")
	}
}

func TestSDKSignHTTP(t *testing.T) {
	v := testVerifier()
	for _, c := range sdkCases {
		t.Run(c.name, func(t *testing.T) {
			r, body := c.sdkSigned(t, testNow)
			res, err := v.Verify(r, body)
			if err != nil {
				t.Fatalf("Verify: %v\nAuthorization: %s", err, r.Header.Get("Authorization"))
			}
			checkResult(t, c, res, false)
		})
	}
}

func TestSDKPresignHTTP(t *testing.T) {
	v := testVerifier()
	for _, c := range sdkCases {
		t.Run(c.name, func(t *testing.T) {
			r, body := c.sdkPresigned(t, testNow, "900")
			res, err := v.Verify(r, body)
			if err != nil {
				t.Fatalf("Verify: %v\nURL: %s", err, r.URL)
			}
			checkResult(t, c, res, true)
		})
	}
}

// TestSDKTampered changes one signed element of SDK-signed requests.
func TestSDKTampered(t *testing.T) {
	iam, get := sdkCases[0], sdkCases[3]
	tests := []struct {
		name   string
		c      sdkCase
		tamper func(r *http.Request, body []byte) []byte
	}{
		{"body", iam, func(r *http.Request, body []byte) []byte {
			return bytes.Replace(body, []byte("alice"), []byte("admin"), 1)
		}},
		{"signed header", iam, func(r *http.Request, body []byte) []byte {
			r.Header.Set("Content-Type", "application/json")
			return body
		}},
		{"method", iam, func(r *http.Request, body []byte) []byte {
			r.Method = "PUT"
			return body
		}},
		{"host", iam, func(r *http.Request, body []byte) []byte {
			r.Host = "127.0.0.1:8081"
			return body
		}},
		{"query value", get, func(r *http.Request, body []byte) []byte {
			r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "last", "lost", 1)
			return body
		}},
		{"query parameter added", get, func(r *http.Request, body []byte) []byte {
			r.URL.RawQuery += "&extra=1"
			return body
		}},
		{"path", get, func(r *http.Request, body []byte) []byte {
			r.RequestURI = "/other" + r.RequestURI[1:]
			return body
		}},
		{"signature", iam, func(r *http.Request, body []byte) []byte {
			a := r.Header.Get("Authorization")
			r.Header.Set("Authorization", a[:len(a)-1]+string("0123456789abcdef"[(strings.IndexByte("0123456789abcdef", a[len(a)-1])+1)%16]))
			return body
		}},
	}
	v := testVerifier()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, body := tc.c.sdkSigned(t, testNow)
			body = tc.tamper(r, body)
			_, err := v.Verify(r, body)
			if e := awserr.As(err); e == nil || e.Code != "SignatureDoesNotMatch" || e.Message != msgSignatureMismatch || e.Status != 403 {
				t.Fatalf("Verify = %v, want SignatureDoesNotMatch", err)
			}
		})
	}
}

func TestSDKWrongSecret(t *testing.T) {
	c := sdkCases[0]
	r := c.request(t)
	creds := aws.Credentials{AccessKeyID: testKey, SecretAccessKey: "not-the-secret"}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, r, hexSHA256([]byte(c.body)), "iam", "us-east-1", testNow); err != nil {
		t.Fatal(err)
	}
	sr, body := overTheWire(t, r)
	_, err := testVerifier().Verify(sr, body)
	if e := awserr.As(err); e == nil || e.Code != "SignatureDoesNotMatch" {
		t.Fatalf("Verify = %v, want SignatureDoesNotMatch", err)
	}
}

// TestSDKErrors covers the checks made before the signature is compared.
func TestSDKErrors(t *testing.T) {
	iam := sdkCases[0]
	unknown := iam
	unknown.name = "unknown"
	tests := []struct {
		name     string
		request  func(t *testing.T) (*http.Request, []byte)
		verifier func(v *Verifier)
		code     string
		message  string
	}{
		{name: "signature expired",
			request: func(t *testing.T) (*http.Request, []byte) { return iam.sdkSigned(t, testNow.Add(-16*time.Minute)) },
			code:    "SignatureDoesNotMatch",
			message: "Signature expired: 20240309T234330Z is now earlier than 20240309T234430Z (20240309T235930Z - 15 min.)"},
		{name: "signature not yet current",
			request: func(t *testing.T) (*http.Request, []byte) { return iam.sdkSigned(t, testNow.Add(16*time.Minute)) },
			code:    "SignatureDoesNotMatch",
			message: "Signature not yet current: 20240310T001530Z is still later than 20240310T001430Z (20240309T235930Z + 15 min.)"},
		{name: "within the skew window",
			request: func(t *testing.T) (*http.Request, []byte) { return iam.sdkSigned(t, testNow.Add(-14*time.Minute)) }},
		{name: "presigned URL expired",
			request: func(t *testing.T) (*http.Request, []byte) {
				return sdkCases[3].sdkPresigned(t, testNow.Add(-time.Hour), "3599")
			},
			code: "AccessDenied", message: "Request has expired."},
		{name: "presigned URL still valid after the skew window",
			request: func(t *testing.T) (*http.Request, []byte) {
				return sdkCases[3].sdkPresigned(t, testNow.Add(-time.Hour), "3600")
			}},
		{name: "presigned X-Amz-Expires over a week",
			request: func(t *testing.T) (*http.Request, []byte) { return sdkCases[3].sdkPresigned(t, testNow, "604801") },
			code:    "AuthorizationQueryParametersError", message: "X-Amz-Expires must be less than a week (in seconds) that is 604800"},
		{name: "presigned X-Amz-Expires zero",
			request: func(t *testing.T) (*http.Request, []byte) { return sdkCases[3].sdkPresigned(t, testNow, "0") },
			code:    "AuthorizationQueryParametersError", message: "X-Amz-Expires must be a positive number of seconds"},
		{name: "unknown access key",
			request: func(t *testing.T) (*http.Request, []byte) {
				r := iam.request(t)
				creds := aws.Credentials{AccessKeyID: "AKIANOTKNOWN", SecretAccessKey: testSecret}
				if err := v4.NewSigner().SignHTTP(context.Background(), creds, r, hexSHA256([]byte(iam.body)), "iam", "us-east-1", testNow); err != nil {
					t.Fatal(err)
				}
				return overTheWire(t, r)
			},
			code: "InvalidClientTokenId", message: "The security token included in the request is invalid."},
		{name: "temporary key without its session token",
			request: func(t *testing.T) (*http.Request, []byte) {
				r, body := sdkCases[1].sdkSigned(t, testNow)
				r.Header.Del("X-Amz-Security-Token")
				return r, body
			},
			code: "InvalidClientTokenId", message: "The security token included in the request is invalid."},
		{name: "service not accepted",
			request:  func(t *testing.T) (*http.Request, []byte) { return sdkCases[1].sdkSigned(t, testNow) },
			verifier: func(v *Verifier) { v.Services = []string{"iam"} },
			code:     "SignatureDoesNotMatch", message: "Credential should be scoped to correct service: 'iam'."},
		{name: "region not accepted",
			request:  func(t *testing.T) (*http.Request, []byte) { return sdkCases[1].sdkSigned(t, testNow) },
			verifier: func(v *Verifier) { v.Regions = []string{"us-east-1"}; v.Services = []string{"iam", "sts"} },
			code:     "SignatureDoesNotMatch", message: "Credential should be scoped to a valid region, not 'ap-southeast-2'."},
		{name: "scope date differs from X-Amz-Date",
			request: func(t *testing.T) (*http.Request, []byte) {
				r, body := iam.sdkSigned(t, testNow)
				r.Header.Set("X-Amz-Date", "20240310T000000Z")
				return r, body
			},
			code: "SignatureDoesNotMatch",
			message: "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: " +
				"'20240309' != '20240310', from '20240310T000000Z'."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := testVerifier()
			if tc.verifier != nil {
				tc.verifier(v)
			}
			r, body := tc.request(t)
			_, err := v.Verify(r, body)
			if tc.code == "" {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				return
			}
			e := awserr.As(err)
			if e == nil || e.Code != tc.code || e.Message != tc.message {
				t.Fatalf("Verify = %v\nwant %s: %s", err, tc.code, tc.message)
			}
		})
	}
}

// TestSignMatchesSDK checks that Gatehouse's own Sign and Presign produce
// requests that verify and, for the same signed headers, the SDK's signature.
func TestSignMatchesSDK(t *testing.T) {
	v := testVerifier()
	for _, c := range sdkCases {
		t.Run(c.name, func(t *testing.T) {
			cred := Credential{AccessKeyID: testKey, SecretAccessKey: testSecret}
			if c.temp {
				cred = Credential{AccessKeyID: tempKey, SecretAccessKey: tempSecret, SessionToken: tempToken}
			}
			r := c.request(t)
			if err := Sign(r, []byte(c.body), cred, c.region, c.service, testNow); err != nil {
				t.Fatal(err)
			}
			sr, body := overTheWire(t, r)
			if _, err := v.Verify(sr, body); err != nil {
				t.Fatalf("Verify(Sign): %v", err)
			}

			p := c.request(t)
			if err := Presign(p, []byte(c.body), cred, c.region, c.service, testNow, 5*time.Minute); err != nil {
				t.Fatal(err)
			}
			sp, body := overTheWire(t, p)
			res, err := v.Verify(sp, body)
			if err != nil {
				t.Fatalf("Verify(Presign): %v", err)
			}
			if !res.Presigned {
				t.Errorf("Presigned = false")
			}
		})
	}
}
