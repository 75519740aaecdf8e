// Package restjson is AWS's rest-json protocol as Access Analyzer speaks
// it: operations are routed by HTTP method and the model's path templates
// (POST /policy/validation, GET /analyzer/{analyzerName}); input members
// come from path labels, the query string, headers and a JSON body;
// responses are JSON; errors carry their code in the x-amzn-ErrorType
// header and {"message": …} in the body.
package restjson

import (
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-iam/gatehouse/awserr"
	"github.com/gatehouse-iam/gatehouse/protocol"
	"github.com/gatehouse-iam/gatehouse/protocol/jsonbody"
	"github.com/gatehouse-iam/gatehouse/protocol/model"
	"github.com/gatehouse-iam/gatehouse/protocol/validate"
)

// MaxBodyBytes bounds the request body Decode reads.
const MaxBodyBytes = 2 << 20

var _ protocol.Codec = (*Codec)(nil)

// Codec routes, decodes and encodes for one rest-json service. It
// implements protocol.Codec.
type Codec struct {
	Service *model.Service
	routes  []route
}

// route is one operation's method and path template, split into segments.
type route struct {
	op       *model.Operation
	method   string
	segments []segment
	literals int // literal segments: the more, the more specific
}

// segment is a literal path segment or a label ({name}, or {name+} for a
// greedy label that takes the rest of the path).
type segment struct {
	literal string
	label   string
	greedy  bool
}

// New returns the codec for svc, its routes built from the model.
func New(svc *model.Service) *Codec {
	c := &Codec{Service: svc}
	for _, name := range svc.OperationNames {
		op := svc.Operations[name]
		path, _, _ := strings.Cut(op.RequestURI, "?")
		r := route{op: op, method: op.Method}
		for _, s := range splitPath(path) {
			if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") {
				label := s[1 : len(s)-1]
				greedy := strings.HasSuffix(label, "+")
				r.segments = append(r.segments, segment{label: strings.TrimSuffix(label, "+"), greedy: greedy})
				continue
			}
			r.segments = append(r.segments, segment{literal: s})
			r.literals++
		}
		c.routes = append(c.routes, r)
	}
	// Most specific first, so /analyzer/findings/statistics wins over /analyzer/{analyzerName}.
	sort.SliceStable(c.routes, func(i, j int) bool { return c.routes[i].literals > c.routes[j].literals })
	return c
}

func splitPath(p string) []string {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

// match returns the labels of an escaped path if it fits the route.
func (r *route) match(method string, escaped []string) (map[string]string, bool) {
	if method != r.method {
		return nil, false
	}
	labels := map[string]string{}
	for i, s := range r.segments {
		if s.greedy {
			if i >= len(escaped) {
				return nil, false
			}
			v, err := url.PathUnescape(strings.Join(escaped[i:], "/"))
			if err != nil {
				return nil, false
			}
			labels[s.label] = v
			return labels, true
		}
		if i >= len(escaped) {
			return nil, false
		}
		v, err := url.PathUnescape(escaped[i])
		if err != nil {
			return nil, false
		}
		if s.label == "" {
			if v != s.literal {
				return nil, false
			}
			continue
		}
		if v == "" {
			return nil, false
		}
		labels[s.label] = v
	}
	return labels, len(escaped) == len(r.segments)
}

// Decode routes r to an operation and decodes its input from the path, the
// query string, headers and the JSON body (consumed), then validates it.
// Errors: UnknownOperationException (404) for a route the model does not
// have; ValidationException with reason "cannotParse" for a body or value
// of the wrong type and "fieldValidationFailed" (with fieldList) for
// values that break the model's constraints.
func (c *Codec) Decode(r *http.Request) (*protocol.Request, error) {
	escaped := splitPath(r.URL.EscapedPath())
	var op *model.Operation
	var labels map[string]string
	for i := range c.routes {
		if l, ok := c.routes[i].match(r.Method, escaped); ok {
			op, labels = c.routes[i].op, l
			break
		}
	}
	if op == nil {
		e := awserr.New("UnknownOperationException", "")
		e.Status = http.StatusNotFound
		return nil, e
	}
	var body []byte
	if r.Body != nil {
		b, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
		if err != nil {
			return nil, cannotParse("The request body could not be read.")
		}
		if len(b) > MaxBodyBytes {
			return nil, awserr.New("RequestEntityTooLarge", "Request body is too large.")
		}
		body = b
	}
	params, err := jsonbody.Decode(op.Input, body)
	if err != nil {
		return nil, cannotParse(err.Error())
	}
	if op.Input != nil {
		q, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			return nil, cannotParse("The query string is malformed.")
		}
		if err := bind(op.Input, params, labels, q, r.Header); err != nil {
			return nil, err
		}
	}
	if vs := validate.Input(op.Input, params); len(vs) > 0 {
		return nil, Invalid(vs)
	}
	return &protocol.Request{Operation: op, Params: params}, nil
}

// bind adds the members bound to the path, query string and headers.
func bind(s *model.Shape, params map[string]any, labels map[string]string, q url.Values, h http.Header) error {
	for _, m := range s.Members {
		name := m.LocationName
		if name == "" {
			name = m.Name
		}
		path := validate.Path{{Member: m.Name}}
		switch m.Location {
		case "uri":
			if v, ok := labels[name]; ok {
				x, err := scalar(m.Shape, v, path)
				if err != nil {
					return err
				}
				params[m.Name] = x
			}
		case "querystring":
			if m.Shape.Type == model.Map {
				// All the query parameters no other member takes.
				out := map[string]any{}
				for k, vs := range q {
					if !boundQuery(s, k) && len(vs) > 0 {
						out[k] = vs[0]
					}
				}
				if len(out) > 0 {
					params[m.Name] = out
				}
				continue
			}
			vs, ok := q[name]
			if !ok || len(vs) == 0 {
				continue
			}
			if m.Shape.Type == model.List {
				l := make([]any, 0, len(vs))
				for i, v := range vs {
					x, err := scalar(m.Shape.Member.Shape, v, path.Child(validate.Step{Index: i + 1}))
					if err != nil {
						return err
					}
					l = append(l, x)
				}
				params[m.Name] = l
				continue
			}
			x, err := scalar(m.Shape, vs[0], path)
			if err != nil {
				return err
			}
			params[m.Name] = x
		case "header":
			if v := h.Get(name); v != "" {
				x, err := scalar(m.Shape, v, path)
				if err != nil {
					return err
				}
				params[m.Name] = x
			}
		}
	}
	return nil
}

func boundQuery(s *model.Shape, key string) bool {
	for _, m := range s.Members {
		if m.Location == "querystring" && m.Shape.Type != model.Map && (m.LocationName == key || (m.LocationName == "" && m.Name == key)) {
			return true
		}
	}
	return false
}

// scalar parses a path, query or header value as shape s's type.
func scalar(s *model.Shape, v string, path validate.Path) (any, error) {
	bad := func() error {
		return cannotParse("Value '" + v + "' at '" + path.String() + "' is not a valid " + s.Type)
	}
	switch s.Type {
	case model.Integer, model.Long:
		i, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, bad()
		}
		return i, nil
	case model.Float, model.Double:
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return nil, bad()
		}
		return f, nil
	case model.Boolean:
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, bad()
		}
		return b, nil
	case model.Timestamp:
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return nil, bad()
		}
		return t.UTC(), nil
	case model.String:
		return v, nil
	}
	return nil, bad()
}

func cannotParse(msg string) error {
	return protocol.WithFields(awserr.New("ValidationException", msg), map[string]any{"reason": "cannotParse"})
}

// Invalid is Access Analyzer's ValidationException for values that break
// the model's constraints: AWS's "N validation errors detected: …"
// message, reason "fieldValidationFailed" and one fieldList entry per
// violation.
func Invalid(vs []validate.Violation) error {
	fields := make([]any, len(vs))
	for i, v := range vs {
		fields[i] = map[string]any{"name": v.Path.String(), "message": v.Constraint}
	}
	return protocol.WithFields(awserr.New("ValidationException", validate.Message(vs)),
		map[string]any{"reason": "fieldValidationFailed", "fieldList": fields})
}

// WriteResponse writes op's success response with the model's status
// code: result (see protocol.Field) as op's output shape in JSON, "{}"
// when the operation has no output. A result that does not fit the shape
// is answered with InternalServerException.
func (c *Codec) WriteResponse(w http.ResponseWriter, op *model.Operation, result any, requestID string) {
	body, err := jsonbody.Encode(op.Output, result)
	if err != nil {
		c.WriteError(w, err, requestID)
		return
	}
	status := op.ResponseCode
	if status == 0 {
		status = http.StatusOK
	}
	write(w, status, requestID, body)
}

// WriteError writes err: the code in x-amzn-ErrorType, {"message": …}
// plus the error's extra fields in the body, and the status the error (or,
// for a default 400, the service model's exception shape) gives. Errors
// that are not AWS errors become InternalServerException without their
// text.
func (c *Codec) WriteError(w http.ResponseWriter, err error, requestID string) {
	e := protocol.ModelError(c.Service, protocol.AWSError(err, "InternalServerException"))
	w.Header().Set("x-amzn-ErrorType", e.Code)
	write(w, e.Status, requestID, jsonbody.ErrorBody(e, "", "message", protocol.ErrorFields(err)))
}

func write(w http.ResponseWriter, status int, requestID string, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("x-amzn-RequestId", requestID)
	w.WriteHeader(status)
	w.Write(body)
}
