package codec

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gatehouse-iam/gatehouse/awserr"
)

// Each service answers a request in its own protocol through one interface.
func TestFor(t *testing.T) {
	tests := []struct {
		service, method, target, header, body string
		op                                    string
		contentType                           string
	}{
		{"iam", "POST", "/", "", "Action=GetUser&Version=2010-05-08", "GetUser", "text/xml"},
		{"sts", "POST", "/", "", "Action=GetCallerIdentity&Version=2011-06-15", "GetCallerIdentity", "text/xml"},
		{"organizations", "POST", "/", "AWSOrganizationsV20161128.DescribeOrganization", "{}", "DescribeOrganization", "application/x-amz-json-1.1"},
		{"cloudtrail", "POST", "/", "CloudTrail_20131101.DescribeTrails", "{}", "DescribeTrails", "application/x-amz-json-1.1"},
		{"accessanalyzer", "GET", "/analyzer", "", "", "ListAnalyzers", "application/json"},
	}
	for _, tt := range tests {
		t.Run(tt.service, func(t *testing.T) {
			c, err := For(tt.service)
			if err != nil {
				t.Fatal(err)
			}
			r := httptest.NewRequest(tt.method, tt.target, strings.NewReader(tt.body))
			r.Header.Set("X-Amz-Target", tt.header)
			req, err := c.Decode(r)
			if err != nil || req.Operation.Name != tt.op {
				t.Fatalf("%v %v", req, err)
			}
			w := httptest.NewRecorder()
			c.WriteResponse(w, req.Operation, nil, "r")
			if w.Code != http.StatusOK || w.Header().Get("Content-Type") != tt.contentType {
				t.Errorf("response %d %v", w.Code, w.Header())
			}
			w = httptest.NewRecorder()
			c.WriteError(w, awserr.New("AccessDenied", "no"), "r")
			if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "no") {
				t.Errorf("error %d %s", w.Code, w.Body)
			}
		})
	}
	if _, err := For("s3"); err == nil {
		t.Error("For(s3) succeeded")
	}
}

// A query decode failure must come back as a non-nil error, and success
// as a nil one (not a typed nil *awserr.Error).
func TestQueryDecodeNilError(t *testing.T) {
	c, _ := For("iam")
	if _, err := c.Decode(httptest.NewRequest("POST", "/", strings.NewReader("Action=GetUser&Version=2010-05-08"))); err != nil {
		t.Errorf("err = %#v", err)
	}
	if _, err := c.Decode(httptest.NewRequest("POST", "/", strings.NewReader("Version=2010-05-08"))); awserr.As(err) == nil {
		t.Errorf("err = %#v", err)
	}
}
