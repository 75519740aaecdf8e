package sigv4

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/awserr"
)

// Requests from AWS's SigV4 test suite (as published with aws-c-auth's
// aws-signing-test-suite/v4), signed with AKIDEXAMPLE at 20150830T123600Z
// for us-east-1/service. Each must verify with the published signature.
const (
	suiteKey    = "AKIDEXAMPLE"
	suiteSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
	suiteToken  = "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267"
	suiteAuth   = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
	suiteCred   = "X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request"
)

var suiteTime = time.Date(2015, 8, 30, 12, 36, 0, 0, time.UTC)

type suiteVector struct {
	name    string
	method  string
	target  string   // request-target exactly as on the request line
	headers []string // "Name:value", in order
	body    string
}

var suiteVectors = []suiteVector{
	{name: "get-vanilla", method: "GET", target: "/", headers: []string{
		"Authorization:" + suiteAuth + "SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"}},
	{name: "get-vanilla-query-order-key-case", method: "GET", target: "/?Param2=value2&Param1=value1", headers: []string{
		"Authorization:" + suiteAuth + "SignedHeaders=host;x-amz-date, Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"}},
	{name: "get-vanilla-query-unreserved", method: "GET",
		target: "/?-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
		headers: []string{
			"Authorization:" + suiteAuth + "SignedHeaders=host;x-amz-date, Signature=9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197"}},
	{name: "get-vanilla-query-unreserved presigned", method: "GET",
		target: "/?-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" +
			"&X-Amz-Algorithm=AWS4-HMAC-SHA256&" + suiteCred + "&X-Amz-Date=20150830T123600Z&X-Amz-SignedHeaders=host&X-Amz-Expires=3600" +
			"&X-Amz-Signature=8e76a88a7433637b12778d5592799b29ad21ecd6cf6325051c21d86f0acda2bf"},
	{name: "get-vanilla-query-order-encoded", method: "GET", target: "/?Param-3=Value3&Param=Value2&%E1%88%B4=Value1", headers: []string{
		"Authorization:" + suiteAuth + "SignedHeaders=host;x-amz-date, Signature=371d3713e185cc334048618a97f809c9ffe339c62934c032af5a0e595648fcac"}},
	{name: "get-vanilla-utf8-query", method: "GET", target: "/?ሴ=bar", headers: []string{
		"Authorization:" + suiteAuth + "SignedHeaders=host;x-amz-date, Signature=2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"}},
	{name: "get-utf8", method: "GET", target: "/ሴ", headers: []string{
		"Authorization:" + suiteAuth + "SignedHeaders=host;x-amz-date, Signature=8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"}},
	{name: "get-utf8 presigned", method: "GET",
		target: "/ሴ?X-Amz-Algorithm=AWS4-HMAC-SHA256&" + suiteCred + "&X-Amz-Date=20150830T123600Z&X-Amz-SignedHeaders=host&X-Amz-Expires=3600" +
			"&X-Amz-Signature=10eae3f14a260bd3911cc6d008d3c576d143b05b62f09782a7a4b37f52178e44"},
	{name: "get-space-unnormalized", method: "GET", target: "/example space/", headers: []string{
		"X-Amz-Content-Sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"Authorization:" + suiteAuth + "SignedHeaders=host;x-amz-date, Signature=652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741"}},
	{name: "get-unreserved", method: "GET", target: "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", headers: []string{
		"Authorization:" + suiteAuth + "SignedHeaders=host;x-amz-date, Signature=07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"}},
	{name: "get-slashes-unnormalized", method: "GET", target: "//example//", headers: []string{
		"Authorization:" + suiteAuth + "SignedHeaders=host;x-amz-date, Signature=87cca117541a147f6df867677d98a7d80dff226d2bfca9e4ffa899665623c7e5"}},
	{name: "get-slashes-normalized", method: "GET", target: "//example//", headers: []string{
		"Authorization:" + suiteAuth + "SignedHeaders=host;x-amz-date, Signature=9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84"}},
	{name: "get-relative-relative-normalized", method: "GET", target: "/example1/example2/../..", headers: []string{
		"Authorization:" + suiteAuth + "SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"}},
	{name: "get-header-value-trim", method: "GET", target: "/", headers: []string{
		"My-Header1: value1", `My-Header2: "a   b   c"`,
		"Authorization:" + suiteAuth + "SignedHeaders=host;my-header1;my-header2;x-amz-date, Signature=acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"}},
	{name: "get-header-key-duplicate", method: "GET", target: "/", headers: []string{
		"My-Header1:value2", "My-Header1:value2", "My-Header1:value1",
		"Authorization:" + suiteAuth + "SignedHeaders=host;my-header1;x-amz-date, Signature=c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea"}},
	{name: "get-header-value-order", method: "GET", target: "/", headers: []string{
		"My-Header1:value4", "My-Header1:value1", "My-Header1:value3", "My-Header1:value2",
		"Authorization:" + suiteAuth + "SignedHeaders=host;my-header1;x-amz-date, Signature=08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01"}},
	{name: "get-vanilla-with-session-token", method: "GET", target: "/", headers: []string{
		"X-Amz-Security-Token:" + suiteToken,
		"Authorization:" + suiteAuth + "SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8"}},
	{name: "post-x-www-form-urlencoded", method: "POST", target: "/", body: "Param1=value1", headers: []string{
		"Content-Type:application/x-www-form-urlencoded", "Content-Length:13",
		"X-Amz-Content-Sha256:9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
		"Authorization:" + suiteAuth + "SignedHeaders=content-length;content-type;host;x-amz-content-sha256;x-amz-date, Signature=d3875051da38690788ef43de4db0d8f280229d82040bfac253562e56c3f20e0b"}},
	{name: "post-x-www-form-urlencoded-parameters", method: "POST", target: "/", body: "Param1=value1", headers: []string{
		"Content-Type:application/x-www-form-urlencoded; charset=utf-8", "Content-Length:13",
		"X-Amz-Content-Sha256:9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
		"Authorization:" + suiteAuth + "SignedHeaders=content-length;content-type;host;x-amz-content-sha256;x-amz-date, Signature=328d1b9eaadca9f5818ef05e8392801e091653bafec24fcab71e7344e7f51422"}},
	{name: "post-vanilla-query presigned without X-Amz-Expires", method: "POST",
		target: "/?Param1=value1&X-Amz-Algorithm=AWS4-HMAC-SHA256&" + suiteCred + "&X-Amz-Date=20150830T123600Z&X-Amz-SignedHeaders=host" +
			"&X-Amz-Signature=3db81c23f61a113c20a450ddd23cd505339301826c402790ceaa9490520fb718"},
}

// suiteRequest builds the server-side view of a test-suite request: the
// request-target is kept verbatim in RequestURI, as net/http's server does.
func suiteRequest(t testing.TB, v suiteVector) *http.Request {
	t.Helper()
	path, query, _ := strings.Cut(v.target, "?")
	r := &http.Request{
		Method:     v.method,
		RequestURI: v.target,
		URL:        &url.URL{Path: path, RawQuery: query},
		Host:       "example.amazonaws.com",
		Header:     http.Header{"X-Amz-Date": {"20150830T123600Z"}},
	}
	for _, h := range v.headers {
		k, val, _ := strings.Cut(h, ":")
		r.Header.Add(k, val)
	}
	return r
}

func suiteVerifier() *Verifier {
	return &Verifier{
		Now: func() time.Time { return suiteTime },
		Lookup: func(_ context.Context, akid, token string) (Credential, error) {
			if akid != suiteKey {
				return Credential{}, awserr.New("InvalidClientTokenId", "The security token included in the request is invalid.")
			}
			return Credential{AccessKeyID: akid, SecretAccessKey: suiteSecret, SessionToken: token}, nil
		},
	}
}

func TestAWSTestSuite(t *testing.T) {
	v := suiteVerifier()
	for _, tc := range suiteVectors {
		t.Run(tc.name, func(t *testing.T) {
			res, err := v.Verify(suiteRequest(t, tc), []byte(tc.body))
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if res.AccessKeyID != suiteKey || res.Region != "us-east-1" || res.Service != "service" || !res.SignedAt.Equal(suiteTime) {
				t.Errorf("result = %+v", res)
			}
			if want := strings.Contains(tc.target, "X-Amz-Signature"); res.Presigned != want {
				t.Errorf("Presigned = %v, want %v", res.Presigned, want)
			}
			if strings.Contains(tc.name, "session-token") && res.SessionToken != suiteToken {
				t.Errorf("SessionToken = %q", res.SessionToken)
			}
		})
	}
}

// TestAWSTestSuiteCanonicalRequest checks the canonical request and string
// to sign of get-vanilla-query-order-key-case against the published text.
func TestAWSTestSuiteCanonicalRequest(t *testing.T) {
	r := suiteRequest(t, suiteVectors[1])
	params, err := parseQuery(r.URL.RawQuery, nil)
	if err != nil {
		t.Fatal(err)
	}
	sortParams(params)
	creq := appendCanonicalRequest(nil, r, wirePath(r), "service", params, "", "host;x-amz-date", payloadOf(""))
	const wantCreq = "GET\n/\nParam1=value1&Param2=value2\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n" +
		"host;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	if string(creq) != wantCreq {
		t.Errorf("canonical request:\n%s\nwant:\n%s", creq, wantCreq)
	}
	sts := appendStringToSign(nil, "20150830T123600Z", "20150830/us-east-1/service/aws4_request", creq)
	const wantSTS = "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n" +
		"816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0"
	if string(sts) != wantSTS {
		t.Errorf("string to sign:\n%s\nwant:\n%s", sts, wantSTS)
	}
}

func payloadOf(body string) payload {
	p, _ := payloadHash(&http.Request{Header: http.Header{}}, []byte(body), false, nil)
	return p
}

// TestAWSTestSuiteTampered changes one thing in each vector and expects
// SignatureDoesNotMatch.
func TestAWSTestSuiteTampered(t *testing.T) {
	v := suiteVerifier()
	for _, tc := range suiteVectors {
		t.Run(tc.name, func(t *testing.T) {
			r := suiteRequest(t, tc)
			r.Method = "PUT"
			_, err := v.Verify(r, []byte(tc.body))
			if e := awserr.As(err); e == nil || e.Code != "SignatureDoesNotMatch" || e.Message != msgSignatureMismatch {
				t.Fatalf("Verify of tampered request = %v, want SignatureDoesNotMatch", err)
			}
		})
	}
}
