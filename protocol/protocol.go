// Package protocol holds what Gatehouse's three AWS wire protocols share: the
// decoded parameter tree handlers read (Params), errors that carry
// protocol-specific extra fields, and the lookup the encoders use to read a
// handler's result, whether the handler built it from maps or structs.
//
// The protocols themselves live in query (IAM, STS), jsonrpc (Organizations,
// CloudTrail) and restjson (Access Analyzer); the service models in model;
// input validation in validate.
package protocol

import (
	"time"
)

// Params is a decoded request: member name → value, typed by the input
// shape. Values are string (strings and enums), int64 (integer, long),
// float64 (float, double), bool, time.Time (timestamp), []byte (blob), []any
// (list), map[string]any (map, and nested structures). Absent members are
// absent keys.
type Params map[string]any

// Has reports whether the member was sent.
func (p Params) Has(name string) bool {
	_, ok := p[name]
	return ok
}

// String returns a string member, or "" when absent.
func (p Params) String(name string) string {
	s, _ := p[name].(string)
	return s
}

// Int returns an integer member and whether it was sent.
func (p Params) Int(name string) (int64, bool) {
	v, ok := p[name].(int64)
	return v, ok
}

// Float returns a float or double member and whether it was sent.
func (p Params) Float(name string) (float64, bool) {
	v, ok := p[name].(float64)
	return v, ok
}

// Bool returns a boolean member and whether it was sent.
func (p Params) Bool(name string) (bool, bool) {
	v, ok := p[name].(bool)
	return v, ok
}

// Time returns a timestamp member and whether it was sent.
func (p Params) Time(name string) (time.Time, bool) {
	v, ok := p[name].(time.Time)
	return v, ok
}

// Bytes returns a blob member, or nil when absent.
func (p Params) Bytes(name string) []byte {
	b, _ := p[name].([]byte)
	return b
}

// Struct returns a structure member, or nil when absent.
func (p Params) Struct(name string) Params {
	return asParams(p[name])
}

// List returns a list member, or nil when absent. A list sent empty is a
// non-nil empty slice.
func (p Params) List(name string) []any {
	l, _ := p[name].([]any)
	return l
}

// Structs returns a list-of-structures member.
func (p Params) Structs(name string) []Params {
	l := p.List(name)
	if l == nil {
		return nil
	}
	out := make([]Params, 0, len(l))
	for _, v := range l {
		out = append(out, asParams(v))
	}
	return out
}

// Strings returns a list-of-strings member.
func (p Params) Strings(name string) []string {
	l := p.List(name)
	if l == nil {
		return nil
	}
	out := make([]string, 0, len(l))
	for _, v := range l {
		s, _ := v.(string)
		out = append(out, s)
	}
	return out
}

// StringMap returns a map-of-strings member.
func (p Params) StringMap(name string) map[string]string {
	m, ok := p[name].(map[string]any)
	if !ok {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		s, _ := v.(string)
		out[k] = s
	}
	return out
}

func asParams(v any) Params {
	switch m := v.(type) {
	case Params:
		return m
	case map[string]any:
		return Params(m)
	}
	return nil
}
