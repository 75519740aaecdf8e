package gateway

import (
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
)

const testRoutes = `{"routes": [
  {"method": "GET", "path": "/buckets/{bucket}/objects", "action": "s3:ListBucket", "resource": "arn:aws:s3:::{bucket}",
   "context": {"s3:prefix": "query:prefix"}},
  {"method": "GET", "path": "/buckets/{bucket}/objects/{key+}", "action": "s3:GetObject", "resource": "arn:aws:s3:::{bucket}/{key}"},
  {"method": "PUT", "path": "/buckets/{bucket}/objects/{key+}", "action": "s3:PutObject", "resource": "arn:aws:s3:::{bucket}/{key}",
   "context": {"s3:x-amz-acl": "header:X-Amz-Acl"}},
  {"method": "*", "path": "/health", "action": "artifacts:Health"},
  {"method": "GET", "path": "/", "action": "s3:ListAllMyBuckets"}
]}`

func TestRoutesMatch(t *testing.T) {
	rs, err := ParseRoutes(strings.NewReader(testRoutes))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		method, target string
		header         map[string]string
		want           *Match
	}{
		{"GET", "/buckets/b1/objects?prefix=builds/", nil, &Match{Action: "s3:ListBucket", Resource: "arn:aws:s3:::b1",
			Params: map[string]string{"bucket": "b1"}, Context: map[string][]string{"s3:prefix": {"builds/"}}}},
		{"GET", "/buckets/b1/objects", nil, &Match{Action: "s3:ListBucket", Resource: "arn:aws:s3:::b1", Params: map[string]string{"bucket": "b1"}}},
		{"GET", "/buckets/b1/objects/builds/1.zip", nil, &Match{Action: "s3:GetObject", Resource: "arn:aws:s3:::b1/builds/1.zip",
			Params: map[string]string{"bucket": "b1", "key": "builds/1.zip"}}},
		{"GET", "/buckets/b1/objects/a%20b", nil, &Match{Action: "s3:GetObject", Resource: "arn:aws:s3:::b1/a b",
			Params: map[string]string{"bucket": "b1", "key": "a b"}}},
		{"PUT", "/buckets/b1/objects/k", map[string]string{"X-Amz-Acl": "private"}, &Match{Action: "s3:PutObject", Resource: "arn:aws:s3:::b1/k",
			Params: map[string]string{"bucket": "b1", "key": "k"}, Context: map[string][]string{"s3:x-amz-acl": {"private"}}}},
		{"POST", "/health", nil, &Match{Action: "artifacts:Health", Resource: "*"}},
		{"GET", "/", nil, &Match{Action: "s3:ListAllMyBuckets", Resource: "*"}},
		{"GET", "/buckets/b1/objects/", nil, nil},     // empty greedy parameter
		{"GET", "/buckets//objects/k", nil, nil},      // empty parameter
		{"DELETE", "/buckets/b1/objects/k", nil, nil}, // no route for the method
		{"GET", "/buckets/b1", nil, nil},              // too few segments
		{"GET", "/health/x", nil, nil},                // too many segments
	}
	for _, tt := range tests {
		r := httptest.NewRequest(tt.method, tt.target, nil)
		for k, v := range tt.header {
			r.Header.Set(k, v)
		}
		got, ok := rs.Match(r)
		if tt.want == nil {
			if ok {
				t.Errorf("%s %s: matched %+v, want no match", tt.method, tt.target, got)
			}
			continue
		}
		if !ok || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s %s: got %+v, want %+v", tt.method, tt.target, got, tt.want)
		}
	}
}

func TestParseRoutesErrors(t *testing.T) {
	tests := []struct{ spec, want string }{
		{`{"routes":[{"method":"GET","path":"x","action":"s3:A"}]}`, "must start with /"},
		{`{"routes":[{"path":"/x","action":"s3:A"}]}`, "method is required"},
		{`{"routes":[{"method":"GET","path":"/{k+}/x","action":"s3:A"}]}`, "must be the last segment"},
		{`{"routes":[{"method":"GET","path":"/a{k}","action":"s3:A"}]}`, "whole segment"},
		{`{"routes":[{"method":"GET","path":"/{k}/{k}","action":"s3:A"}]}`, "appears twice"},
		{`{"routes":[{"method":"GET","path":"/{k}","action":"A"}]}`, "service:Name"},
		{`{"routes":[{"method":"GET","path":"/{k}","action":"s3:A","resource":"arn:aws:s3:::{b}"}]}`, "{b} is not a path parameter"},
		{`{"routes":[{"method":"GET","path":"/{k}","action":"s3:A","resource":"arn:aws:s3:::{k"}]}`, "unbalanced {"},
		{`{"routes":[{"method":"GET","path":"/{k}","action":"s3:A","context":{"s3:prefix":"cookie:x"}}]}`, "query:NAME"},
		{`{"routes":[{"method":"GET","path":"/","action":"s3:A","extra":1}]}`, "unknown field"},
		{`not json`, "routes file"},
	}
	for _, tt := range tests {
		_, err := ParseRoutes(strings.NewReader(tt.spec))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want %q", tt.spec, err, tt.want)
		}
	}
}

// FuzzRoutes checks that neither loading a route nor matching any request
// path against it panics, and that a match expands to an action with the
// route's service prefix.
func FuzzRoutes(f *testing.F) {
	f.Add("/buckets/{bucket}/objects/{key+}", "GET", "/buckets/b/objects/a/b")
	f.Add("/", "*", "*")
	f.Add("/{a}/{b}", "PUT", "//")
	f.Add("/x/{k+}", "GET", "/x/%2F")
	f.Fuzz(func(t *testing.T, pattern, method, target string) {
		rs, err := NewRoutes([]RouteSpec{{Method: method, Path: pattern, Action: "svc:Do", Resource: "*"}})
		if err != nil {
			return
		}
		r := httptest.NewRequest("GET", "/", nil)
		r.Method = method
		r.URL.Path = target
		if m, ok := rs.Match(r); ok && m.Action != "svc:Do" {
			t.Fatalf("action %q", m.Action)
		}
	})
}
