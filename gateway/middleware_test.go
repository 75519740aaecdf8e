package gateway_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/authz"
	"github.com/gatehouse-iam/gatehouse/gateway"
	"github.com/gatehouse-iam/gatehouse/policy"
	"github.com/gatehouse-iam/gatehouse/sigv4"
)

func mustSet(t *testing.T, kind policy.Kind, docs ...string) *policy.Set {
	t.Helper()
	var cs []*policy.Compiled
	for i, d := range docs {
		c, err := policy.ParseAndCompile("p"+string(rune('0'+i)), d, kind)
		if err != nil {
			t.Fatal(err)
		}
		cs = append(cs, c)
	}
	return policy.NewSet(cs...)
}

// TestMiddlewareLocal runs the middleware with the engine in process: the
// service holds its principals' policies and a bucket policy.
func TestMiddlewareLocal(t *testing.T) {
	routes, err := gateway.ParseRoutes(strings.NewReader(proxyRoutes))
	if err != nil {
		t.Fatal(err)
	}
	ident := func(name, identity, boundary string) *gateway.LocalIdentity {
		p := &authz.Principal{Type: authz.User, ARN: "arn:aws:iam::111122223333:user/" + name, Account: "111122223333"}
		pol := &authz.Policies{Identity: mustSet(t, policy.Identity, identity)}
		if boundary != "" {
			pol.Boundary = mustSet(t, policy.Identity, boundary)
		}
		return &gateway.LocalIdentity{Principal: p, Policies: pol}
	}
	readAll := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}`
	nothing := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sqs:*","Resource":"*"}}`
	keys := map[string]gateway.LocalKey{
		"AKIAALICE": {Secret: "alice-secret", Identity: ident("alice", readAll, "")},
		// carol may do anything in s3, but her boundary allows reads only.
		"AKIACAROL": {Secret: "carol-secret", Identity: ident("carol", readAll, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}`)},
		"AKIADAVE":  {Secret: "dave-secret", Identity: ident("dave", nothing, "")},
	}
	bucket := mustSet(t, policy.Resource, `{"Version":"2012-10-17","Statement":[
	  {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/dave"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b1/*"},
	  {"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b1/*","Condition":{"Bool":{"aws:SecureTransport":"false"},"StringNotEquals":{"aws:RequestedRegion":"eu-west-1"}}}]}`)
	dec := &gateway.Local{
		Verifier: &sigv4.Verifier{Lookup: gateway.KeyLookup(keys)},
		ResourcePolicy: func(resource string) (*policy.Set, string) {
			if strings.HasPrefix(resource, "arn:aws:s3:::b1/") {
				return bucket, "111122223333"
			}
			return nil, ""
		},
	}
	h := gateway.Middleware(gateway.Config{Routes: routes, Decider: dec})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := gateway.PrincipalFrom(r.Context())
		io.WriteString(w, p.ARN)
	}))
	tests := []struct {
		name, key, secret, method, region string
		status                            int
		want                              string
	}{
		{"identity policy allows", "AKIAALICE", "alice-secret", "GET", "eu-west-1", 200, "user/alice"},
		{"PUT allowed too", "AKIAALICE", "alice-secret", "PUT", "eu-west-1", 200, "user/alice"},
		{"boundary allows GET", "AKIACAROL", "carol-secret", "GET", "eu-west-1", 200, "user/carol"},
		{"boundary stops PUT", "AKIACAROL", "carol-secret", "PUT", "eu-west-1", 403, "permissions boundary"},
		{"bucket policy grants dave", "AKIADAVE", "dave-secret", "GET", "eu-west-1", 200, "user/dave"},
		{"bucket policy denies plain HTTP outside eu-west-1", "AKIAALICE", "alice-secret", "GET", "us-east-1", 403, "explicit deny in a resource-based policy"},
		{"unknown key", "AKIANOBODY", "x", "GET", "eu-west-1", 403, "InvalidClientTokenId"},
		{"bad signature", "AKIAALICE", "wrong", "GET", "eu-west-1", 403, "SignatureDoesNotMatch"},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(tt.method, "http://artifacts.example/buckets/b1/objects/k", strings.NewReader("data"))
		r.RemoteAddr = "192.0.2.1:5555"
		if err := sigv4.Sign(r, []byte("data"), sigv4.Credential{AccessKeyID: tt.key, SecretAccessKey: tt.secret}, tt.region, "artifacts", time.Now()); err != nil {
			t.Fatal(err)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != tt.status || !strings.Contains(w.Body.String(), tt.want) {
			t.Errorf("%s: %d %s; want %d containing %q", tt.name, w.Code, w.Body, tt.status, tt.want)
		}
	}
}
