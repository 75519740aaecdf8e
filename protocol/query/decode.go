// Package query is the AWS query protocol as IAM and STS speak it: requests
// are form-encoded parameters (POST body or GET query string) named after
// the input shape's members (Tags.member.1.Key), responses and errors are
// XML in the service's namespace.
package query

import (
	"cmp"
	"encoding/base64"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-iam/gatehouse/awserr"
	"github.com/gatehouse-iam/gatehouse/protocol"
	"github.com/gatehouse-iam/gatehouse/protocol/model"
	"github.com/gatehouse-iam/gatehouse/protocol/validate"
)

// MaxBodyBytes bounds the form body Decode reads. IAM's largest inputs (a
// 131,072-character policy document, a SAML assertion) fit comfortably
// even when percent-encoded.
const MaxBodyBytes = 2 << 20

var _ protocol.Codec = (*Codec)(nil)

// Codec is the query protocol for one service; it implements
// protocol.Codec with Decode, WriteResponse and WriteError.
type Codec struct {
	Service *model.Service
}

// New returns the codec for svc.
func New(svc *model.Service) *Codec { return &Codec{Service: svc} }

// Decode decodes r with the package-level Decode.
func (c *Codec) Decode(r *http.Request) (*protocol.Request, error) {
	req, err := Decode(c.Service, r)
	if err != nil {
		return nil, err
	}
	return req, nil
}

// WriteResponse writes op's response with the package-level WriteResponse.
func (c *Codec) WriteResponse(w http.ResponseWriter, op *model.Operation, result any, requestID string) {
	WriteResponse(w, c.Service, op, result, requestID)
}

// WriteError writes err with the package-level WriteError.
func (c *Codec) WriteError(w http.ResponseWriter, err error, requestID string) {
	WriteError(w, c.Service, err, requestID)
}

// Decode reads r's form body (for POST) and query string and decodes them
// with DecodeValues. The body is consumed.
func Decode(svc *model.Service, r *http.Request) (*protocol.Request, *awserr.Error) {
	vals, err := ParseForm(r.URL.RawQuery)
	if err != nil {
		return nil, awserr.New("MalformedQueryString", "The query string is malformed: "+err.Error())
	}
	if r.Body != nil && r.Method != http.MethodGet {
		body, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
		if err != nil {
			return nil, awserr.New("MalformedQueryString", "The request body could not be read.")
		}
		if len(body) > MaxBodyBytes {
			return nil, awserr.New("RequestEntityTooLarge", "Request body is too large.")
		}
		form, err := ParseForm(string(body))
		if err != nil {
			return nil, awserr.New("MalformedQueryString", "The request body is malformed: "+err.Error())
		}
		for k, v := range form {
			vals[k] = append(vals[k], v...)
		}
	}
	return DecodeValues(svc, vals)
}

// DecodeValues finds the operation named by Action (Version must be the
// service's API version), decodes the parameters following its input shape
// and validates them. Parameters the shape does not name are ignored, as
// AWS ignores them. Errors are MissingAction, InvalidAction,
// MissingParameter (Version) and ValidationError, worded as AWS words them.
func DecodeValues(svc *model.Service, vals url.Values) (*protocol.Request, *awserr.Error) {
	action := vals.Get("Action")
	if action == "" {
		return nil, awserr.New("MissingAction", "Missing Action")
	}
	version := vals.Get("Version")
	if version == "" {
		return nil, awserr.New("MissingParameter", "The request must contain the parameter Version")
	}
	op, ok := svc.Operations[action]
	if !ok || version != svc.APIVersion {
		return nil, awserr.Newf("InvalidAction", "Could not find operation %s for version %s", action, version)
	}
	if op.Input == nil {
		return &protocol.Request{Operation: op, Params: protocol.Params{}}, nil
	}
	var vs []validate.Violation
	params := protocol.Params(decodeStruct(op.Input, newTree(vals), make(validate.Path, 0, 8), &vs))
	if len(vs) == 0 {
		vs = validate.Input(op.Input, params)
	}
	if len(vs) > 0 {
		return nil, awserr.New("ValidationError", validate.Message(vs))
	}
	return &protocol.Request{Operation: op, Params: params}, nil
}

// node is one dotted segment of the parameter names: "Tags.member.1.Key"
// is root → Tags → member → 1 → Key.
type node struct {
	value    string
	hasValue bool
	children map[string]*node
}

// newTree returns the root of the parameter names' tree, each name bearing
// its first value. All nodes are allocated together: a name has at most as
// many nodes as dotted segments.
func newTree(vals url.Values) *node {
	segments := 1 // the root
	for k := range vals {
		segments += strings.Count(k, ".") + 1
	}
	t := tree{nodes: make([]node, 1, segments)}
	root := &t.nodes[0]
	root.children = make(map[string]*node, len(vals))
	for k, v := range vals {
		if len(v) > 0 {
			t.insert(root, k, v[0])
		}
	}
	return root
}

// tree hands out nodes from one array sized for every name's segments, so
// that pointers into it stay valid.
type tree struct {
	nodes []node
}

func (t *tree) insert(n *node, key, value string) {
	for {
		seg, rest, more := strings.Cut(key, ".")
		if n.children == nil {
			n.children = map[string]*node{}
		}
		c, ok := n.children[seg]
		if !ok {
			t.nodes = append(t.nodes, node{})
			c = &t.nodes[len(t.nodes)-1]
			n.children[seg] = c
		}
		n = c
		if !more {
			n.value, n.hasValue = value, true
			return
		}
		key = rest
	}
}

// The decoders pass the path to the value being decoded down as a slice
// that children extend with append: siblings reuse the same backing array
// (each overwrites the step of the one before), so a path is only copied
// when a violation keeps it (see violationPath).

// violationPath returns a copy of path for a violation to keep.
func violationPath(path validate.Path) validate.Path {
	return slices.Clone(path)
}

func decodeStruct(s *model.Shape, n *node, path validate.Path, vs *[]validate.Violation) map[string]any {
	out := map[string]any{}
	for _, m := range s.Members {
		name := m.Name
		if m.LocationName != "" {
			name = m.LocationName
		}
		c, ok := n.children[name]
		if !ok {
			continue
		}
		if v, ok := decodeValue(m.Shape, c, append(path, validate.Step{Member: m.Name}), vs); ok {
			out[m.Name] = v
		}
	}
	return out
}

// decodeValue decodes n as a value of shape s; ok is false when n carries
// nothing for that shape (e.g. a scalar name that only has sub-keys).
func decodeValue(s *model.Shape, n *node, path validate.Path, vs *[]validate.Violation) (any, bool) {
	switch s.Type {
	case model.Structure:
		if len(n.children) == 0 && !n.hasValue {
			return nil, false
		}
		return decodeStruct(s, n, path, vs), true
	case model.List:
		return decodeList(s, n, path, vs), true
	case model.Map:
		return decodeMap(s, n, path, vs), true
	}
	if !n.hasValue {
		return nil, false
	}
	v, err := scalar(s, n.value)
	if err != "" {
		*vs = append(*vs, validate.Violation{Path: violationPath(path), Value: n.value, Sensitive: s.Sensitive,
			Kind: validate.Type, Constraint: err})
		return nil, false
	}
	return v, true
}

// scalar parses a query-string value as shape s's type; err is the
// violation's constraint text when it cannot.
func scalar(s *model.Shape, v string) (any, string) {
	switch s.Type {
	case model.Integer, model.Long:
		i, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, "Member must be a number"
		}
		return i, ""
	case model.Float, model.Double:
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return nil, "Member must be a number"
		}
		return f, ""
	case model.Boolean:
		switch strings.ToLower(v) {
		case "true":
			return true, ""
		case "false":
			return false, ""
		}
		return nil, "Member must be a boolean"
	case model.Timestamp:
		t, ok := ParseTime(v)
		if !ok {
			return nil, "Member must be a timestamp"
		}
		return t, ""
	case model.Blob:
		b, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			return nil, "Member must be base64-encoded"
		}
		return b, ""
	}
	return v, ""
}

// ParseTime parses a timestamp as query clients send it: ISO 8601 (with or
// without fractional seconds or an offset) or epoch seconds.
func ParseTime(v string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04:05"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC(), true
		}
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil && f >= 0 && f < 1e11 {
		sec := int64(f)
		return time.Unix(sec, int64((f-float64(sec))*1e9)).UTC(), true
	}
	return time.Time{}, false
}

// elements returns the numbered children of n (Tags.member.N or, for
// flattened lists and maps, Tags.N) in index order. A gap in the numbering
// is reported as the missing element AWS would see: a null member.
func elements(n *node, path validate.Path, vs *[]validate.Violation) []*node {
	type numbered struct {
		i int
		n *node
	}
	var els []numbered
	for k, c := range n.children {
		i, err := strconv.Atoi(k)
		if err != nil || i < 1 {
			continue
		}
		els = append(els, numbered{i, c})
	}
	slices.SortFunc(els, func(a, b numbered) int { return cmp.Compare(a.i, b.i) })
	out := make([]*node, 0, len(els))
	for k, e := range els {
		if e.i != k+1 {
			*vs = append(*vs, validate.Violation{Path: path.Child(validate.Step{Index: k + 1}),
				Kind: validate.Required, Constraint: "Member must not be null"})
			return nil
		}
		out = append(out, e.n)
	}
	return out
}

func decodeList(s *model.Shape, n *node, path validate.Path, vs *[]validate.Violation) []any {
	container := n
	if !s.Flattened {
		name := "member"
		if s.Member != nil && s.Member.LocationName != "" {
			name = s.Member.LocationName
		}
		container = n.children[name]
	}
	out := []any{}
	if container == nil || s.Member == nil {
		return out // "Tags=" is the empty list
	}
	for i, e := range elements(container, path, vs) {
		if v, ok := decodeValue(s.Member.Shape, e, append(path, validate.Step{Index: i + 1}), vs); ok {
			out = append(out, v)
		} else {
			out = append(out, nil)
		}
	}
	return out
}

func decodeMap(s *model.Shape, n *node, path validate.Path, vs *[]validate.Violation) map[string]any {
	container := n
	if !s.Flattened {
		container = n.children["entry"]
	}
	out := map[string]any{}
	if container == nil || s.Key == nil || s.Value == nil {
		return out
	}
	keyName, valueName := "key", "value"
	if s.Key.LocationName != "" {
		keyName = s.Key.LocationName
	}
	if s.Value.LocationName != "" {
		valueName = s.Value.LocationName
	}
	for _, e := range elements(container, path, vs) {
		k, ok := e.children[keyName]
		if !ok || !k.hasValue {
			continue
		}
		if vn, ok := e.children[valueName]; ok {
			if v, ok := decodeValue(s.Value.Shape, vn, append(path, validate.Step{Key: k.value}), vs); ok {
				out[k.value] = v
			}
		}
	}
	return out
}
