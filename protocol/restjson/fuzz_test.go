package restjson

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse-iam/gatehouse/awserr"
)

// FuzzDecode feeds arbitrary methods, targets and bodies to the Access
// Analyzer router and decoder: it must never panic and must answer every
// failure with a 4xx AWS error.
func FuzzDecode(f *testing.F) {
	f.Add("POST", "/policy/validation?maxResults=5", `{"policyDocument":"{}","policyType":"IDENTITY_POLICY"}`)
	f.Add("GET", "/analyzer/a%2Fb", "")
	f.Add("DELETE", "/tags/arn%3Ax?tagKeys=a&tagKeys=", "")
	f.Add("PUT", "/analyzer/a/archive-rule/r", `{"filter":{"k":{"eq":["v"],"exists":true}},"clientToken":"t"}`)
	f.Add("POST", "/finding", `{"analyzerArn":"arn","filter":null,"sort":{"attributeName":1}}`)
	f.Fuzz(func(t *testing.T, method, target, body string) {
		u, err := url.ParseRequestURI(target)
		if err != nil {
			return
		}
		r := &http.Request{Method: method, URL: u, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(body))}
		if _, err := aa.Decode(r); err != nil {
			if e := awserr.As(err); e == nil || e.Status < 400 || e.Status >= 500 {
				t.Fatalf("%s %s %q: %v", method, target, body, err)
			}
		}
	})
}
