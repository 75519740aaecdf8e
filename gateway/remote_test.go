package gateway_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/gateway"
	"github.com/gatehouse-iam/gatehouse/sigv4"
)

// TestRemoteAnswers checks how the proxy turns the decision API's answers
// into responses: errors pass through with their codes, and anything it
// cannot read fails closed.
func TestRemoteAnswers(t *testing.T) {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "upstream "+r.Header.Get(gateway.HeaderPrincipalARN))
	}))
	defer upstream.Close()
	u, _ := url.Parse(upstream.URL)
	routes, err := gateway.ParseRoutes(strings.NewReader(proxyRoutes))
	if err != nil {
		t.Fatal(err)
	}
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()
	tests := []struct {
		name     string
		status   int    // the decision API's status (0: unreachable)
		body     string // and body
		want     int
		wantBody string
	}{
		{"allow", 200, `{"principal":{"arn":"arn:aws:iam::1:user/a","account":"1","type":"iam_user"},"decision":"allow"}`, 200, "upstream arn:aws:iam::1:user/a"},
		{"explicit deny", 200, `{"principal":{"arn":"arn:aws:iam::1:user/a"},"decision":"explicit_deny","message":"User: a is not authorized"}`, 403,
			"<Code>AccessDenied</Code><Message>User: a is not authorized</Message>"},
		{"authentication error passes through", 403, `{"__type":"SignatureDoesNotMatch","message":"The request signature we calculated does not match"}`, 403,
			"<Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match</Message>"},
		{"server error fails closed", 500, `{"__type":"InternalFailure","message":"boom"}`, 503, "<Code>ServiceUnavailable</Code>"},
		{"unreadable answer fails closed", 200, `not json`, 503, "<Code>ServiceUnavailable</Code>"},
		{"answer without a decision fails closed", 200, `{}`, 503, "<Code>ServiceUnavailable</Code>"},
		{"unreachable fails closed", 0, "", 503, "<Code>ServiceUnavailable</Code>"},
	}
	for _, tt := range tests {
		endpoint := closedURL
		if tt.status != 0 {
			api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/_gatehouse/v1/authorize" || !strings.Contains(r.Header.Get("Authorization"), "/gatehouse/aws4_request") {
					t.Errorf("%s: decision API called as %s %s", tt.name, r.URL.Path, r.Header.Get("Authorization"))
				}
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
			}))
			defer api.Close()
			endpoint = api.URL
		}
		proxy := gateway.NewProxy(u, gateway.Config{Routes: routes,
			Decider: gateway.NewRemote(endpoint, sigv4.Credential{AccessKeyID: "AKIAPROXY", SecretAccessKey: "s"}, "us-east-1")})
		r := httptest.NewRequest("GET", "http://artifacts.example/buckets/b1/objects/k", nil)
		if err := sigv4.Sign(r, nil, sigv4.Credential{AccessKeyID: "AKIAUSER", SecretAccessKey: "u"}, "us-east-1", "artifacts", time.Now()); err != nil {
			t.Fatal(err)
		}
		w := httptest.NewRecorder()
		proxy.ServeHTTP(w, r)
		if w.Code != tt.want || !strings.Contains(w.Body.String(), tt.wantBody) {
			t.Errorf("%s: %d %s; want %d containing %q", tt.name, w.Code, w.Body, tt.want, tt.wantBody)
		}
	}
}
