// Package jsonbody reads and writes the JSON bodies of AWS's JSON protocols
// (JSON 1.1 and rest-json), typed by the model's shapes: timestamps as epoch
// seconds unless the shape says iso8601, blobs as base64, members under
// their model names. Members bound to a URI, query string or header
// (rest-json) are not part of the body and are skipped both ways.
package jsonbody

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/gatehouse-iam/gatehouse/awserr"
	"github.com/gatehouse-iam/gatehouse/protocol"
	"github.com/gatehouse-iam/gatehouse/protocol/model"
	"github.com/gatehouse-iam/gatehouse/protocol/validate"
)

// TypeError is a body that is not JSON, or a value of the wrong JSON type
// for its shape. AWS answers both with SerializationException.
type TypeError struct {
	Path validate.Path // empty for a body that is not a JSON object
	Msg  string
}

func (e *TypeError) Error() string {
	if len(e.Path) == 0 {
		return e.Msg
	}
	return e.Msg + " at '" + e.Path.String() + "'"
}

// Decode parses body as a JSON object of shape s. An empty body is an empty
// object. Members the shape does not name are ignored; null members are
// absent. Values are typed as protocol.Params documents.
func Decode(s *model.Shape, body []byte) (map[string]any, error) {
	out := map[string]any{}
	if len(bytes.TrimSpace(body)) == 0 {
		return out, nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var raw any
	if err := dec.Decode(&raw); err != nil {
		return nil, &TypeError{Msg: "The request body is not valid JSON: " + err.Error()}
	}
	if dec.More() {
		return nil, &TypeError{Msg: "The request body has data after its JSON value."}
	}
	obj, ok := raw.(map[string]any)
	if !ok {
		return nil, &TypeError{Msg: "The request body is not a JSON object."}
	}
	if s == nil {
		return out, nil
	}
	return decodeStruct(s, obj, nil)
}

func jsonName(m *model.Member) string {
	if m.LocationName != "" {
		return m.LocationName
	}
	return m.Name
}

func decodeStruct(s *model.Shape, obj map[string]any, path validate.Path) (map[string]any, error) {
	out := map[string]any{}
	for _, m := range s.Members {
		if m.Location != "" {
			continue
		}
		raw, ok := obj[jsonName(m)]
		if !ok || raw == nil {
			continue
		}
		v, err := decodeValue(m.Shape, raw, path.Child(validate.Step{Member: m.Name}))
		if err != nil {
			return nil, err
		}
		out[m.Name] = v
	}
	return out, nil
}

func decodeValue(s *model.Shape, raw any, path validate.Path) (any, error) {
	bad := func(want string) error {
		return &TypeError{Path: path, Msg: fmt.Sprintf("Expected %s, found %s", want, jsonType(raw))}
	}
	switch s.Type {
	case model.Structure:
		obj, ok := raw.(map[string]any)
		if !ok {
			return nil, bad("an object")
		}
		return decodeStruct(s, obj, path)
	case model.List:
		arr, ok := raw.([]any)
		if !ok {
			return nil, bad("an array")
		}
		out := make([]any, 0, len(arr))
		for i, e := range arr {
			if e == nil {
				out = append(out, nil)
				continue
			}
			v, err := decodeValue(s.Member.Shape, e, path.Child(validate.Step{Index: i + 1}))
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case model.Map:
		obj, ok := raw.(map[string]any)
		if !ok {
			return nil, bad("an object")
		}
		out := make(map[string]any, len(obj))
		for k, e := range obj {
			if e == nil {
				continue
			}
			v, err := decodeValue(s.Value.Shape, e, path.Child(validate.Step{Key: k}))
			if err != nil {
				return nil, err
			}
			out[k] = v
		}
		return out, nil
	case model.String:
		str, ok := raw.(string)
		if !ok {
			return nil, bad("a string")
		}
		return str, nil
	case model.Boolean:
		b, ok := raw.(bool)
		if !ok {
			return nil, bad("a boolean")
		}
		return b, nil
	case model.Integer, model.Long:
		n, ok := raw.(json.Number)
		if !ok {
			return nil, bad("a number")
		}
		i, err := strconv.ParseInt(string(n), 10, 64)
		if err != nil || (s.Type == model.Integer && (i > math.MaxInt32 || i < math.MinInt32)) {
			return nil, bad("an integer")
		}
		return i, nil
	case model.Float, model.Double:
		n, ok := raw.(json.Number)
		if !ok {
			return nil, bad("a number")
		}
		f, err := strconv.ParseFloat(string(n), 64)
		if err != nil {
			return nil, bad("a number")
		}
		return f, nil
	case model.Timestamp:
		switch x := raw.(type) {
		case json.Number:
			f, err := strconv.ParseFloat(string(x), 64)
			if err != nil || math.IsInf(f, 0) || math.Abs(f) > 1e12 {
				return nil, bad("a timestamp")
			}
			sec, frac := math.Modf(f)
			return time.Unix(int64(sec), int64(math.Round(frac*1e3))*1e6).UTC(), nil
		case string:
			t, err := time.Parse(time.RFC3339Nano, x)
			if err != nil {
				return nil, bad("a timestamp")
			}
			return t.UTC(), nil
		}
		return nil, bad("a timestamp")
	case model.Blob:
		str, ok := raw.(string)
		if !ok {
			return nil, bad("a base64 string")
		}
		b, err := base64.StdEncoding.DecodeString(str)
		if err != nil {
			return nil, bad("a base64 string")
		}
		return b, nil
	}
	return nil, bad(s.Type)
}

func jsonType(v any) string {
	switch v.(type) {
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	}
	return "null"
}

// Encode renders v (see protocol.Field for what a result may be) as a JSON
// object of shape s; a nil shape gives "{}".
func Encode(s *model.Shape, v any) ([]byte, error) {
	if s == nil {
		return []byte("{}"), nil
	}
	out, err := encodeStruct(s, v)
	if err != nil {
		return nil, err
	}
	return json.Marshal(out)
}

// encodeStruct builds an ordered JSON object: json.Marshal of an *object
// keeps the model's member order.
func encodeStruct(s *model.Shape, v any) (*object, error) {
	o := &object{}
	for _, m := range s.Members {
		if m.Location != "" {
			continue
		}
		x, ok := protocol.Field(v, m.Name)
		if !ok {
			continue
		}
		e, err := encodeValue(m.Shape, x)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", m.Name, err)
		}
		o.keys = append(o.keys, jsonName(m))
		o.vals = append(o.vals, e)
	}
	return o, nil
}

func encodeValue(s *model.Shape, v any) (any, error) {
	switch s.Type {
	case model.Structure:
		return encodeStruct(s, v)
	case model.List:
		els, ok := protocol.Elems(v)
		if !ok {
			return nil, fmt.Errorf("want a list, have %T", v)
		}
		out := make([]any, len(els))
		for i, e := range els {
			x, err := encodeValue(s.Member.Shape, e)
			if err != nil {
				return nil, fmt.Errorf("%d: %w", i+1, err)
			}
			out[i] = x
		}
		return out, nil
	case model.Map:
		entries, ok := protocol.Entries(v)
		if !ok {
			return nil, fmt.Errorf("want a map, have %T", v)
		}
		o := &object{}
		for _, e := range entries {
			x, err := encodeValue(s.Value.Shape, e.Value)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", e.Key, err)
			}
			o.keys = append(o.keys, e.Key)
			o.vals = append(o.vals, x)
		}
		return o, nil
	}
	x, ok := protocol.Scalar(v)
	if !ok {
		return nil, fmt.Errorf("want a %s, have %T", s.Type, v)
	}
	switch s.Type {
	case model.String:
		if str, ok := x.(string); ok {
			return str, nil
		}
	case model.Integer, model.Long:
		if i, ok := x.(int64); ok {
			return i, nil
		}
	case model.Float, model.Double:
		switch f := x.(type) {
		case float64:
			if math.IsNaN(f) || math.IsInf(f, 0) {
				return strconv.FormatFloat(f, 'f', -1, 64), nil // "NaN", "+Inf": JSON has no number for them
			}
			return f, nil
		case int64:
			return f, nil
		}
	case model.Boolean:
		if b, ok := x.(bool); ok {
			return b, nil
		}
	case model.Timestamp:
		if t, ok := x.(time.Time); ok {
			return Timestamp(s, t), nil
		}
	case model.Blob:
		switch d := x.(type) {
		case []byte:
			return d, nil // encoding/json writes base64
		case string:
			return []byte(d), nil
		}
	}
	return nil, fmt.Errorf("want a %s, have %T", s.Type, v)
}

// Timestamp renders t as shape s asks: ISO 8601 for "iso8601", otherwise
// epoch seconds (with milliseconds when t has them).
func Timestamp(s *model.Shape, t time.Time) any {
	t = t.UTC()
	if s.TimestampFormat == "iso8601" {
		return t.Format("2006-01-02T15:04:05.999Z07:00")
	}
	if ms := t.Nanosecond() / 1e6; ms != 0 {
		return json.Number(strconv.FormatInt(t.Unix(), 10) + "." + fmt.Sprintf("%03d", ms))
	}
	return t.Unix()
}

// object is a JSON object that keeps its key order.
type object struct {
	keys []string
	vals []any
}

func (o *object) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range o.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		b.Write(kb)
		b.WriteByte(':')
		vb, err := json.Marshal(o.vals[i])
		if err != nil {
			return nil, err
		}
		b.Write(vb)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// ErrorBody renders an AWS JSON error body {typeKey: code, messageKey:
// message, …fields}, fields in key order. JSON 1.1 uses "__type" and "Message";
// rest-json puts the code in a header (typeKey "") and uses "message".
func ErrorBody(e *awserr.Error, typeKey, messageKey string, fields map[string]any) []byte {
	var b bytes.Buffer
	b.WriteByte('{')
	member := func(k string, v any) {
		vb, err := json.Marshal(v)
		if err != nil {
			return
		}
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		b.Write(kb)
		b.WriteByte(':')
		b.Write(vb)
	}
	if typeKey != "" {
		member(typeKey, e.Code)
	}
	if e.Message != "" {
		member(messageKey, e.Message)
	}
	for _, k := range slices.Sorted(maps.Keys(fields)) {
		member(k, fields[k])
	}
	b.WriteByte('}')
	return b.Bytes()
}
