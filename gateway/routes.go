// Package gateway puts Gatehouse in front of HTTP services: it maps requests
// to IAM actions and resource ARNs with a routes file, authenticates their
// SigV4 signatures, asks a Decider whether they are allowed, and either
// forwards them with the caller's identity or answers with AWS's
// AccessDenied error. The same logic runs as a reverse proxy (Proxy, behind
// `gatehouse proxy`) and as net/http middleware (Middleware).
package gateway

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// RoutesFile is the JSON form of a routes file:
//
//	{"routes": [
//	  {"method": "GET", "path": "/buckets/{bucket}/objects/{key+}",
//	   "action": "s3:GetObject", "resource": "arn:aws:s3:::{bucket}/{key}",
//	   "context": {"s3:prefix": "query:prefix", "s3:x-amz-acl": "header:X-Amz-Acl"}}
//	]}
//
// Method is an HTTP method or "*" for any. Path segments are literals or
// parameters: {name} matches one non-empty segment, {name+} (last segment
// only) matches the rest of the path, slashes included. Resource and action
// may use the parameters; an empty resource means "*". Context maps a
// condition key to "query:NAME" or "header:NAME"; a key is set only when
// the request carries that value. Routes are tried in order; the first
// match wins.
type RoutesFile struct {
	Routes []RouteSpec `json:"routes"`
}

// RouteSpec is one entry of a routes file.
type RouteSpec struct {
	Method   string            `json:"method"`
	Path     string            `json:"path"`
	Action   string            `json:"action"`
	Resource string            `json:"resource"`
	Context  map[string]string `json:"context,omitempty"`
}

// Routes maps requests to authorization questions. It is safe for
// concurrent use.
type Routes struct {
	routes []route
}

// route is a compiled RouteSpec.
type route struct {
	method   string
	segments []segment
	greedy   bool // the last segment is {name+}
	action   template
	resource template
	context  []contextSource
}

// segment is a literal path segment or a parameter.
type segment struct {
	literal string
	param   string // non-empty for parameters
}

// template is a string with {param} references, split at compile time.
type template struct {
	parts []string // literal, param, literal, param, …, literal
}

// contextSource fills one condition key from the request.
type contextSource struct {
	key    string
	header bool
	name   string
}

// Match is what a request maps to.
type Match struct {
	Action   string
	Resource string
	Params   map[string]string   // path parameters
	Context  map[string][]string // condition keys from headers and the query string
}

// ParseRoutes reads a routes file (RoutesFile as JSON) and checks it.
func ParseRoutes(r io.Reader) (*Routes, error) {
	var f RoutesFile
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("routes file: %w", err)
	}
	return NewRoutes(f.Routes)
}

// NewRoutes compiles route specs.
func NewRoutes(specs []RouteSpec) (*Routes, error) {
	rs := &Routes{}
	for i, s := range specs {
		rt, err := compileRoute(s)
		if err != nil {
			return nil, fmt.Errorf("route %d (%s %s): %w", i, s.Method, s.Path, err)
		}
		rs.routes = append(rs.routes, rt)
	}
	return rs, nil
}

func compileRoute(s RouteSpec) (route, error) {
	rt := route{method: strings.ToUpper(s.Method)}
	if rt.method == "" {
		return rt, fmt.Errorf("method is required (use \"*\" for any)")
	}
	if !strings.HasPrefix(s.Path, "/") {
		return rt, fmt.Errorf("path must start with /")
	}
	params := map[string]bool{}
	parts := strings.Split(s.Path[1:], "/")
	for i, p := range parts {
		if !strings.HasPrefix(p, "{") {
			if strings.ContainsAny(p, "{}") {
				return rt, fmt.Errorf("segment %q: a parameter must be a whole segment", p)
			}
			rt.segments = append(rt.segments, segment{literal: p})
			continue
		}
		if !strings.HasSuffix(p, "}") || len(p) < 3 {
			return rt, fmt.Errorf("segment %q: want {name} or {name+}", p)
		}
		name := p[1 : len(p)-1]
		if strings.HasSuffix(name, "+") {
			if i != len(parts)-1 {
				return rt, fmt.Errorf("segment %q: {name+} must be the last segment", p)
			}
			name = strings.TrimSuffix(name, "+")
			rt.greedy = true
		}
		if name == "" || strings.ContainsAny(name, "{}+/") {
			return rt, fmt.Errorf("segment %q: bad parameter name", p)
		}
		if params[name] {
			return rt, fmt.Errorf("parameter %q appears twice", name)
		}
		params[name] = true
		rt.segments = append(rt.segments, segment{param: name})
	}
	var err error
	if s.Action == "" || !strings.Contains(s.Action, ":") {
		return rt, fmt.Errorf("action must be \"service:Name\"")
	}
	if rt.action, err = compileTemplate(s.Action, params); err != nil {
		return rt, fmt.Errorf("action: %w", err)
	}
	resource := s.Resource
	if resource == "" {
		resource = "*"
	}
	if rt.resource, err = compileTemplate(resource, params); err != nil {
		return rt, fmt.Errorf("resource: %w", err)
	}
	for key, src := range s.Context {
		kind, name, ok := strings.Cut(src, ":")
		if !ok || name == "" || (kind != "query" && kind != "header") {
			return rt, fmt.Errorf("context %q: want \"query:NAME\" or \"header:NAME\", not %q", key, src)
		}
		rt.context = append(rt.context, contextSource{key: key, header: kind == "header", name: name})
	}
	return rt, nil
}

func compileTemplate(s string, params map[string]bool) (template, error) {
	var t template
	for {
		open := strings.IndexByte(s, '{')
		if open < 0 {
			if strings.IndexByte(s, '}') >= 0 {
				return t, fmt.Errorf("unbalanced }")
			}
			t.parts = append(t.parts, s)
			return t, nil
		}
		end := strings.IndexByte(s[open:], '}')
		if end < 0 {
			return t, fmt.Errorf("unbalanced {")
		}
		name := s[open+1 : open+end]
		if !params[name] {
			return t, fmt.Errorf("{%s} is not a path parameter", name)
		}
		t.parts = append(t.parts, s[:open], name)
		s = s[open+end+1:]
	}
}

func (t template) expand(params map[string]string) string {
	if len(t.parts) == 1 {
		return t.parts[0]
	}
	var b strings.Builder
	for i, p := range t.parts {
		if i%2 == 0 {
			b.WriteString(p)
		} else {
			b.WriteString(params[p])
		}
	}
	return b.String()
}

// Match finds the first route for r. Parameters are the path's decoded
// segments.
func (rs *Routes) Match(r *http.Request) (*Match, bool) {
	path := r.URL.Path
	if path == "" {
		path = "/"
	}
	for i := range rs.routes {
		rt := &rs.routes[i]
		if rt.method != "*" && rt.method != r.Method {
			continue
		}
		params, ok := rt.match(path)
		if !ok {
			continue
		}
		m := &Match{Action: rt.action.expand(params), Resource: rt.resource.expand(params), Params: params}
		var query url.Values
		for _, c := range rt.context {
			var vals []string
			if c.header {
				vals = r.Header.Values(c.name)
			} else {
				if query == nil {
					query = r.URL.Query()
				}
				vals = query[c.name]
			}
			if len(vals) > 0 {
				if m.Context == nil {
					m.Context = map[string][]string{}
				}
				m.Context[c.key] = vals
			}
		}
		return m, true
	}
	return nil, false
}

// match matches path ("/a/b") against the route's segments.
func (rt *route) match(path string) (map[string]string, bool) {
	rest := path[1:]
	var params map[string]string
	for i, seg := range rt.segments {
		last := i == len(rt.segments)-1
		var part string
		if last && rt.greedy {
			part, rest = rest, ""
		} else {
			var found bool
			part, rest, found = strings.Cut(rest, "/")
			if found == last { // too many segments, or too few
				return nil, false
			}
		}
		if seg.param == "" {
			if part != seg.literal {
				return nil, false
			}
			continue
		}
		if part == "" {
			return nil, false
		}
		if params == nil {
			params = make(map[string]string, len(rt.segments))
		}
		params[seg.param] = part
	}
	return params, true
}
