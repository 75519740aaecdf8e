// Package model is the part of the botocore service models that Gatehouse's
// wire protocols need: operations (HTTP binding, input, output, errors) and
// shapes (types, members, required members, length and value ranges,
// patterns, enums, locations).
//
// The models of the five services Gatehouse serves are embedded from data/,
// which the generator in gen/ derives from botocore's service-2.json.gz files
// (go generate ./protocol/model). Load returns a linked, read-only *Service.
package model

//go:generate go run ./gen -out data

import (
	"embed"
	"encoding/json"
	"fmt"
	"sync"
)

// Shape types as botocore names them.
const (
	Structure = "structure"
	List      = "list"
	Map       = "map"
	String    = "string"
	Integer   = "integer"
	Long      = "long"
	Boolean   = "boolean"
	Timestamp = "timestamp"
	Blob      = "blob"
	Float     = "float"
	Double    = "double"
)

// Protocols as botocore names them.
const (
	ProtocolQuery    = "query"
	ProtocolJSON     = "json"
	ProtocolRESTJSON = "rest-json"
)

// Service is one AWS service's model.
type Service struct {
	Name           string // the data file's name: "iam", "sts", "organizations", ...
	APIVersion     string // "2010-05-08"
	Protocol       string // ProtocolQuery, ProtocolJSON or ProtocolRESTJSON
	TargetPrefix   string // JSON 1.1 X-Amz-Target prefix
	JSONVersion    string // "1.1" for JSON 1.1 services
	XMLNamespace   string // query services' response namespace
	SigningName    string // SigV4 service name
	ServiceID      string
	Operations     map[string]*Operation
	Shapes         map[string]*Shape
	OperationNames []string // sorted (gen writes operations in name order)

	exceptions map[string]*Shape // by shape name and by wire code
}

// Operation is one API action.
type Operation struct {
	Name          string
	Method        string // HTTP method (rest-json routing)
	RequestURI    string // path template, e.g. "/analyzer/{analyzerName}"
	ResponseCode  int    // success status for rest-json; 0 means 200
	Input         *Shape // nil when the operation takes no input
	Output        *Shape // nil when the operation returns nothing
	ResultWrapper string // query protocol: the <OpResult> element name
	Errors        []*Shape
}

// Shape is a botocore shape: a type with its constraints.
type Shape struct {
	Name            string
	Type            string
	Members         []*Member // structure members in model order
	Member          *Member   // list element
	Key, Value      *Member   // map key and value
	Min, Max        *int64    // length for strings, lists, maps and blobs; value for numbers
	Pattern         string    // botocore (Java) pattern text, shown in messages
	Enum            []string
	Flattened       bool
	TimestampFormat string // "iso8601", "unixTimestamp", "rfc822" or "" for the protocol default
	Union           bool   // exactly one member may be set
	Exception       bool
	Error           *ErrorInfo // set on exception shapes that declare a wire code or status
	Sensitive       bool
	// Compiled is Pattern compiled with whole-value (Java matches())
	// semantics, nil when the shape has no pattern or the pattern cannot be
	// expressed in Go (gen warns about those).
	Compiled *Pattern

	byName map[string]*Member
}

// Member is a reference from a structure, list or map to a shape.
type Member struct {
	Name             string // the member's name in the structure; empty for list/map members
	Shape            *Shape
	Required         bool
	Location         string // rest-json: "uri", "querystring", "header", "headers" or "" for the body
	LocationName     string // wire name in that location (or the XML/query element name)
	IdempotencyToken bool
}

// ErrorInfo is the wire identity of an exception shape.
type ErrorInfo struct {
	Code        string `json:"code,omitempty"` // query/XML error code; empty means the shape name
	Status      int    `json:"httpStatusCode,omitempty"`
	SenderFault bool   `json:"senderFault,omitempty"`
}

// MemberByName returns the structure member with that exact name.
func (s *Shape) MemberByName(name string) *Member { return s.byName[name] }

// ErrorCode is the code an exception shape has on the wire: its declared
// code (IAM's NoSuchEntityException is "NoSuchEntity") or its name.
func (s *Shape) ErrorCode() string {
	if s.Error != nil && s.Error.Code != "" {
		return s.Error.Code
	}
	return s.Name
}

// Exception returns the exception shape whose name or wire code is code,
// or nil.
func (s *Service) Exception(code string) *Shape { return s.exceptions[code] }

// Services lists the services Load knows.
var Services = []string{"iam", "sts", "organizations", "accessanalyzer", "cloudtrail"}

//go:embed data/*.json
var data embed.FS

var cache sync.Map // service name → *loaded

type loaded struct {
	once sync.Once
	svc  *Service
	err  error
}

// Load returns the model of service ("iam", "sts", "organizations",
// "accessanalyzer" or "cloudtrail"). Models are parsed once and shared;
// callers must not modify them.
func Load(service string) (*Service, error) {
	v, _ := cache.LoadOrStore(service, &loaded{})
	l := v.(*loaded)
	l.once.Do(func() { l.svc, l.err = load(service) })
	return l.svc, l.err
}

// MustLoad is Load for package-level variables of code that embeds a known
// service name; it panics when the embedded model is missing or corrupt.
func MustLoad(service string) *Service {
	s, err := Load(service)
	if err != nil {
		panic(err)
	}
	return s
}

func load(service string) (*Service, error) {
	b, err := data.ReadFile("data/" + service + ".json")
	if err != nil {
		return nil, fmt.Errorf("model: unknown service %q", service)
	}
	var def ServiceDef
	if err := json.Unmarshal(b, &def); err != nil {
		return nil, fmt.Errorf("model: %s: %w", service, err)
	}
	return link(service, &def)
}

func link(name string, def *ServiceDef) (*Service, error) {
	svc := &Service{
		Name: name, APIVersion: def.APIVersion, Protocol: def.Protocol,
		TargetPrefix: def.TargetPrefix, JSONVersion: def.JSONVersion,
		XMLNamespace: def.XMLNamespace, SigningName: def.SigningName, ServiceID: def.ServiceID,
		Operations: make(map[string]*Operation, len(def.Operations)),
		Shapes:     make(map[string]*Shape, len(def.Shapes)),
	}
	for _, sd := range def.Shapes {
		svc.Shapes[sd.Name] = &Shape{Name: sd.Name}
	}
	shape := func(n string) (*Shape, error) {
		if n == "" {
			return nil, nil
		}
		s, ok := svc.Shapes[n]
		if !ok {
			return nil, fmt.Errorf("model: %s: unknown shape %q", name, n)
		}
		return s, nil
	}
	ref := func(md *MemberDef) (*Member, error) {
		if md == nil {
			return nil, nil
		}
		s, err := shape(md.Shape)
		if err != nil {
			return nil, err
		}
		return &Member{Name: md.Name, Shape: s, Location: md.Location, LocationName: md.LocationName,
			IdempotencyToken: md.IdempotencyToken}, nil
	}
	var err error
	svc.exceptions = map[string]*Shape{}
	for _, sd := range def.Shapes {
		s := svc.Shapes[sd.Name]
		if sd.Exception {
			svc.exceptions[sd.Name] = s
			if sd.Error != nil && sd.Error.Code != "" {
				svc.exceptions[sd.Error.Code] = s
			}
		}
		s.Type, s.Min, s.Max, s.Pattern, s.Enum = sd.Type, sd.Min, sd.Max, sd.Pattern, sd.Enum
		s.Flattened, s.TimestampFormat, s.Union, s.Exception = sd.Flattened, sd.TimestampFormat, sd.Union, sd.Exception
		s.Error, s.Sensitive = sd.Error, sd.Sensitive
		if sd.Pattern != "" {
			s.Compiled, _ = CompilePattern(sd.Pattern)
		}
		required := map[string]bool{}
		for _, r := range sd.Required {
			required[r] = true
		}
		if len(sd.Members) > 0 {
			s.byName = make(map[string]*Member, len(sd.Members))
		}
		for i := range sd.Members {
			m, err := ref(&sd.Members[i])
			if err != nil {
				return nil, err
			}
			m.Required = required[m.Name]
			s.Members = append(s.Members, m)
			s.byName[m.Name] = m
		}
		if s.Member, err = ref(sd.Member); err != nil {
			return nil, err
		}
		if s.Key, err = ref(sd.Key); err != nil {
			return nil, err
		}
		if s.Value, err = ref(sd.Value); err != nil {
			return nil, err
		}
	}
	for _, od := range def.Operations {
		op := &Operation{Name: od.Name, Method: od.Method, RequestURI: od.RequestURI,
			ResponseCode: od.ResponseCode, ResultWrapper: od.ResultWrapper}
		if op.Input, err = shape(od.Input); err != nil {
			return nil, err
		}
		if op.Output, err = shape(od.Output); err != nil {
			return nil, err
		}
		for _, e := range od.Errors {
			es, err := shape(e)
			if err != nil {
				return nil, err
			}
			op.Errors = append(op.Errors, es)
		}
		svc.Operations[op.Name] = op
		svc.OperationNames = append(svc.OperationNames, op.Name)
	}
	return svc, nil
}
