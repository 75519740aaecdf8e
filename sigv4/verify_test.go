package sigv4

import (
	"context"
	"crypto/sha256"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/gatehouse-iam/gatehouse/awserr"
)

// rawRequest builds a server-side request for target on host localhost
// with the given "Name:value" headers.
func rawRequest(method, target string, headers ...string) *http.Request {
	path, query, _ := strings.Cut(target, "?")
	r := &http.Request{
		Method:     method,
		RequestURI: target,
		URL:        &url.URL{Path: path, RawQuery: query},
		Host:       "localhost",
		Header:     http.Header{},
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ":")
		r.Header.Add(k, v)
	}
	return r
}

const testScope = "20240309/us-east-1/iam/aws4_request"

// signWith sets an Authorization header over the given signed headers,
// computed with the package's own canonicalization.
func signWith(r *http.Request, body []byte, signedHeaders, amzDate string) {
	params, _ := parseQuery(r.URL.RawQuery, nil)
	sortParams(params)
	p, _ := payloadHash(r, body, false, nil)
	sig := signature(r, wirePath(r), "iam", params, "", signedHeaders, p, amzDate, testScope, testSecret)
	r.Header.Set("Authorization", algorithm+" Credential="+testKey+"/"+testScope+", SignedHeaders="+signedHeaders+", Signature="+sig)
}

func TestVerifyMalformed(t *testing.T) {
	const date = "X-Amz-Date:20240309T235930Z"
	const cred = "Credential=" + testKey + "/" + testScope
	const sig = "Signature=" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	tests := []struct {
		name    string
		r       *http.Request
		code    string
		message string
	}{
		{"unsigned", rawRequest("POST", "/"),
			"MissingAuthenticationToken", "Request is missing Authentication Token"},
		{"bare algorithm, no date", rawRequest("POST", "/", "Authorization:AWS4-HMAC-SHA256"),
			"IncompleteSignature", "Authorization header requires 'Credential' parameter. " +
				"Authorization header requires 'Signature' parameter. " +
				"Authorization header requires 'SignedHeaders' parameter. " +
				"Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. " +
				"Authorization=AWS4-HMAC-SHA256"},
		{"missing signature", rawRequest("POST", "/", date, "Authorization:AWS4-HMAC-SHA256 "+cred+", SignedHeaders=host;x-amz-date"),
			"IncompleteSignature", "Authorization header requires 'Signature' parameter. Authorization=AWS4-HMAC-SHA256"},
		{"other scheme", rawRequest("POST", "/", "Authorization:Basic dXNlcjpwYXNz"),
			"IncompleteSignature", "Unsupported AWS 'algorithm': 'Basic'."},
		{"SigV2-style header", rawRequest("GET", "/", "Authorization:AWS AKIAIOSFODNN7EXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg="),
			"IncompleteSignature", "Unsupported AWS 'algorithm': 'AWS'."},
		{"parameter without equal sign", rawRequest("POST", "/", date, "Authorization:AWS4-HMAC-SHA256 "+cred+", Oops"),
			"IncompleteSignature", "'Oops' not a valid key=value pair (missing equal-sign) in Authorization header: 'AWS4-HMAC-SHA256 " + cred + ", Oops'"},
		{"date not ISO 8601 basic", rawRequest("POST", "/", "X-Amz-Date:2024-03-09T23:59:30Z", "Authorization:AWS4-HMAC-SHA256 "+cred+", SignedHeaders=host;x-amz-date, "+sig),
			"IncompleteSignature", "Date must be in ISO-8601 'basic format'. Got '2024-03-09T23:59:30Z'. See http://en.wikipedia.org/wiki/ISO_8601"},
		{"month 13", rawRequest("POST", "/", "X-Amz-Date:20241309T235930Z", "Authorization:AWS4-HMAC-SHA256 "+cred+", SignedHeaders=host;x-amz-date, "+sig),
			"IncompleteSignature", "Date must be in ISO-8601 'basic format'. Got '20241309T235930Z'. See http://en.wikipedia.org/wiki/ISO_8601"},
		{"unparsable Date header", rawRequest("POST", "/", "Date:yesterday", "Authorization:AWS4-HMAC-SHA256 "+cred+", SignedHeaders=date;host, "+sig),
			"IncompleteSignature", "Date must be in ISO-8601 'basic format'. Got 'yesterday'. See http://en.wikipedia.org/wiki/ISO_8601"},
		{"host not signed", rawRequest("POST", "/", date, "Authorization:AWS4-HMAC-SHA256 "+cred+", SignedHeaders=x-amz-date, "+sig),
			"SignatureDoesNotMatch", "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."},
		{"credential with three parts", rawRequest("POST", "/", date, "Authorization:AWS4-HMAC-SHA256 Credential=AKID/20240309/us-east-1, SignedHeaders=host;x-amz-date, "+sig),
			"IncompleteSignature", "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'AKID/20240309/us-east-1'"},
		{"credential with six parts", rawRequest("POST", "/", date, "Authorization:AWS4-HMAC-SHA256 Credential=AKID/20240309/us-east-1/iam/aws4_request/x, SignedHeaders=host;x-amz-date, "+sig),
			"IncompleteSignature", "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'AKID/20240309/us-east-1/iam/aws4_request/x'"},
		{"several scope faults", rawRequest("POST", "/", date, "Authorization:AWS4-HMAC-SHA256 Credential=AKID/20240308/us-east-1//aws5_request, SignedHeaders=host;x-amz-date, "+sig),
			"SignatureDoesNotMatch", "Credential should be scoped to correct service: ''. " +
				"Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'. " +
				"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20240308' != '20240309', from '20240309T235930Z'."},
		{"signature not hex", rawRequest("POST", "/", date, "Authorization:AWS4-HMAC-SHA256 "+cred+", SignedHeaders=host;x-amz-date, Signature=zz"),
			"SignatureDoesNotMatch", msgSignatureMismatch},
		{"signed both ways", rawRequest("POST", "/?X-Amz-Algorithm=AWS4-HMAC-SHA256", date, "Authorization:AWS4-HMAC-SHA256 "+cred+", SignedHeaders=host;x-amz-date, "+sig),
			"SignatureDoesNotMatch", msgSignatureMismatch},
		{"presigned, parameters missing", rawRequest("GET", "/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20240309T235930Z"),
			"IncompleteSignature", "AWS query-string parameters must include 'X-Amz-Credential'. " +
				"AWS query-string parameters must include 'X-Amz-Signature'. " +
				"AWS query-string parameters must include 'X-Amz-SignedHeaders'. Re-examine the query-string parameters."},
		{"presigned, other algorithm", rawRequest("GET", "/?X-Amz-Algorithm=AWS4-ECDSA-P256-SHA256"),
			"MissingAuthenticationToken", "Request is missing Authentication Token"},
		{"presigned, X-Amz-Expires not a number", rawRequest("GET", "/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential="+url.QueryEscape(testKey+"/"+testScope)+
			"&X-Amz-Date=20240309T235930Z&X-Amz-SignedHeaders=host&X-Amz-Expires=soon&X-Amz-Signature=00"),
			"AuthorizationQueryParametersError", "X-Amz-Expires should be a number"},
		{"malformed escape", rawRequest("GET", "/?a=%zz"),
			"MalformedQueryString", "Illegal hex character in escape % pattern: %zz"},
		{"truncated escape", rawRequest("GET", "/?a=%4"),
			"MalformedQueryString", "Incomplete trailing escape % sequence"},
	}
	v := testVerifier()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := v.Verify(tc.r, nil)
			e := awserr.As(err)
			if e == nil || e.Code != tc.code || e.Message != tc.message {
				t.Fatalf("Verify = %v\nwant %s: %s", err, tc.code, tc.message)
			}
			if e.Status != awserr.New(tc.code, "").Status {
				t.Errorf("status %d", e.Status)
			}
			if IsMissingAuthentication(err) != (tc.code == "MissingAuthenticationToken") {
				t.Errorf("IsMissingAuthentication = %v", IsMissingAuthentication(err))
			}
		})
	}
}

func TestVerifyEmptySecretIsServerFault(t *testing.T) {
	r := rawRequest("POST", "/", "X-Amz-Date:20240309T235930Z")
	signWith(r, nil, "host;x-amz-date", "20240309T235930Z")
	v := testVerifier()
	v.Lookup = func(context.Context, string, string) (Credential, error) {
		return Credential{AccessKeyID: testKey}, nil
	}
	_, err := v.Verify(r, nil)
	if err == nil || awserr.As(err) != nil {
		t.Fatalf("Verify = %v, want a server-side error", err)
	}
}

func TestSkewMessageIsUTC(t *testing.T) {
	r := rawRequest("POST", "/", "X-Amz-Date:20240309T230000Z")
	signWith(r, nil, "host;x-amz-date", "20240309T230000Z")
	v := testVerifier()
	v.Now = func() time.Time { return testNow.In(time.FixedZone("UTC+9", 9*3600)) }
	_, err := v.Verify(r, nil)
	const want = "Signature expired: 20240309T230000Z is now earlier than 20240309T234430Z (20240309T235930Z - 15 min.)"
	if e := awserr.As(err); e == nil || e.Message != want {
		t.Fatalf("Verify = %v, want %q", err, want)
	}
}

func TestVerifyDateHeader(t *testing.T) {
	r := rawRequest("POST", "/", "Date:Sat, 09 Mar 2024 23:59:30 GMT", "Content-Type:application/x-www-form-urlencoded")
	body := []byte("Action=ListUsers&Version=2010-05-08")
	signWith(r, body, "content-type;date;host", "20240309T235930Z")
	res, err := testVerifier().Verify(r, body)
	if err != nil {
		t.Fatal(err)
	}
	if !res.SignedAt.Equal(testNow) {
		t.Errorf("SignedAt = %v", res.SignedAt)
	}
}

func TestVerifyPayloadHashHeader(t *testing.T) {
	body := []byte("Action=ListUsers&Version=2010-05-08")
	other := sha256.Sum256([]byte("something else"))
	tests := []struct {
		name     string
		declared string
		body     []byte
		code     string
		unsigned bool
	}{
		{"matching hash", hexSHA256(body), body, "", false},
		{"matching hash, upper case", strings.ToUpper(hexSHA256(body)), body, "", false},
		{"hash of other data", string(appendHex(other[:])), body, "XAmzContentSHA256Mismatch", false},
		{"not a hash", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", body, "InvalidArgument", false},
		{"unsigned payload", unsignedPayload, body, "", true},
		{"unsigned payload, body changed", unsignedPayload, []byte("Action=DeleteUser"), "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := rawRequest("POST", "/", "X-Amz-Date:20240309T235930Z", "X-Amz-Content-Sha256:"+tc.declared)
			signWith(r, body, "host;x-amz-content-sha256;x-amz-date", "20240309T235930Z")
			res, err := testVerifier().Verify(r, tc.body)
			if tc.code != "" {
				if e := awserr.As(err); e == nil || e.Code != tc.code {
					t.Fatalf("Verify = %v, want %s", err, tc.code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.UnsignedPayload != tc.unsigned {
				t.Errorf("UnsignedPayload = %v", res.UnsignedPayload)
			}
		})
	}
}

func appendHex(b []byte) []byte {
	return payload{sum: [32]byte(b)}.append(nil)
}

// TestVerifySDKUnsignedPayload checks the SDK's UNSIGNED-PAYLOAD form.
func TestVerifySDKUnsignedPayload(t *testing.T) {
	c := sdkCases[0]
	r := c.request(t)
	r.Header.Set("X-Amz-Content-Sha256", unsignedPayload)
	if err := v4.NewSigner().SignHTTP(context.Background(), c.creds(), r, unsignedPayload, "iam", "us-east-1", testNow); err != nil {
		t.Fatal(err)
	}
	sr, body := overTheWire(t, r)
	res, err := testVerifier().Verify(sr, body)
	if err != nil || !res.UnsignedPayload {
		t.Fatalf("Verify = %+v, %v", res, err)
	}

	// Sign honours the declared payload hash the same way.
	r = c.request(t)
	r.Header.Set("X-Amz-Content-Sha256", unsignedPayload)
	if err := Sign(r, []byte(c.body), Credential{AccessKeyID: testKey, SecretAccessKey: testSecret}, "us-east-1", "iam", testNow); err != nil {
		t.Fatal(err)
	}
	sr, body = overTheWire(t, r)
	if res, err := testVerifier().Verify(sr, append(body, "&Extra=1"...)); err != nil || !res.UnsignedPayload {
		t.Fatalf("Verify(Sign) = %+v, %v", res, err)
	}
}

func TestNormalizePath(t *testing.T) {
	for in, want := range map[string]string{
		"":                         "/",
		"/":                        "/",
		"//example//":              "/example/",
		"/example/..":              "/",
		"/example1/example2/../..": "/",
		"/./":                      "/",
		"/a/./b/../c":              "/a/c",
		"/../../a":                 "/a",
		"/a%20b/":                  "/a%20b/",
	} {
		if got := normalizePath(in); got != want {
			t.Errorf("normalizePath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCanonicalSignedHeaders(t *testing.T) {
	for in, want := range map[string]string{
		"host;x-amz-date":        "host;x-amz-date",
		"x-amz-date;host":        "host;x-amz-date",
		"Host;X-Amz-Date":        "host;x-amz-date",
		"host;;x-amz-date;":      "host;x-amz-date",
		"content-type;host;date": "content-type;date;host",
	} {
		if got := canonicalSignedHeaders(in); got != want {
			t.Errorf("canonicalSignedHeaders(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestEscape(t *testing.T) {
	tests := []struct {
		in, query, path string
	}{
		{"abcXYZ019-_.~", "abcXYZ019-_.~", "abcXYZ019-_.~"},
		{"a b+c", "a%20b%2Bc", "a%20b%2Bc"},
		{"/a/b=c&d", "%2Fa%2Fb%3Dc%26d", "/a/b%3Dc%26d"},
		{"é*ሴ", "%C3%A9%2A%E1%88%B4", "%C3%A9%2A%E1%88%B4"},
		{"%2F", "%252F", "%252F"},
	}
	for _, tc := range tests {
		if got := escape(tc.in, false); got != tc.query {
			t.Errorf("escape(%q, false) = %q, want %q", tc.in, got, tc.query)
		}
		if got := escape(tc.in, true); got != tc.path {
			t.Errorf("escape(%q, true) = %q, want %q", tc.in, got, tc.path)
		}
	}
}

func TestKeyCacheBounded(t *testing.T) {
	var c keyCache
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range keyCacheSize {
				id := keyID{secret: "s", date: "20240309", region: "r", service: string(rune('a'+g)) + strings.Repeat("x", i%50) + time.Duration(i).String()}
				if got, want := c.get(id), deriveKey(id.secret, id.date, id.region, id.service); got != want {
					t.Errorf("key for %v differs from its derivation", id)
					return
				}
			}
		}()
	}
	wg.Wait()
	if n := len(c.keys); n > keyCacheSize {
		t.Errorf("cache holds %d keys, bound is %d", n, keyCacheSize)
	}
}

// TestDeriveKey checks the signing key of AWS's documentation example
// (secret wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY, 20150830/us-east-1/iam).
func TestDeriveKey(t *testing.T) {
	k := deriveKey(suiteSecret, "20150830", "us-east-1", "iam")
	const want = "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"
	if got := string(payload{sum: k}.append(nil)); got != want {
		t.Errorf("signing key = %s, want %s", got, want)
	}
}

func BenchmarkVerify(b *testing.B) {
	c := sdkCases[0]
	r, body := c.sdkSigned(b, testNow)
	v := testVerifier()
	if _, err := v.Verify(r, body); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(r, body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyPresigned(b *testing.B) {
	r, body := sdkCases[3].sdkPresigned(b, testNow, "900")
	v := testVerifier()
	if _, err := v.Verify(r, body); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(r, body); err != nil {
			b.Fatal(err)
		}
	}
}

func TestCanonicalURI(t *testing.T) {
	tests := []struct {
		name    string
		r       *http.Request
		service string
		want    string
	}{
		{"server request, encoded again", rawRequest("GET", "/a%20b/%C3%A9?x=1"), "iam", "/a%2520b/%25C3%25A9"},
		{"S3 encodes once", rawRequest("GET", "/a%20b/%C3%A9?x=1"), "s3", "/a%20b/%C3%A9"},
		{"client request", &http.Request{URL: &url.URL{Path: "/a b/é"}}, "iam", "/a%2520b/%25C3%25A9"},
		{"client request, empty path", &http.Request{URL: &url.URL{}}, "iam", "/"},
		{"opaque //host/path", &http.Request{URL: &url.URL{Opaque: "//example.com/a%2Fb"}}, "iam", "/a%252Fb"},
		{"opaque host only", &http.Request{URL: &url.URL{Opaque: "//example.com"}}, "iam", "/"},
		{"absolute-form request-target", &http.Request{RequestURI: "http://h/x", URL: &url.URL{Path: "/x"}}, "iam", "/x"},
	}
	for _, tc := range tests {
		if got := string(appendCanonicalURI(nil, wirePath(tc.r), tc.service)); got != tc.want {
			t.Errorf("%s: canonical URI = %q, want %q", tc.name, got, tc.want)
		}
	}
}

// BenchmarkDeriveKey is the work the signing-key cache saves per request.
func BenchmarkDeriveKey(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		deriveKey(testSecret, "20240309", "us-east-1", "iam")
	}
}

// TestHeaderNamesCanonical checks that the names Verify reads headers by
// are canonical, as net/http stores received headers.
func TestHeaderNamesCanonical(t *testing.T) {
	for _, k := range []string{hdrAuthorization, hdrAmzDate, hdrDate, hdrSecurityToken, hdrContentSHA256} {
		if c := http.CanonicalHeaderKey(k); c != k {
			t.Errorf("%q is not canonical (%q)", k, c)
		}
	}
}
