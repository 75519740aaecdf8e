package query

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gatehouse-iam/gatehouse/awserr"
	"github.com/gatehouse-iam/gatehouse/protocol"
	"github.com/gatehouse-iam/gatehouse/protocol/model"
)

// TimeFormat is how query responses write timestamps (ISO 8601, UTC).
const TimeFormat = "2006-01-02T15:04:05Z"

// WriteResponse writes op's success response: result (a map[string]any,
// protocol.Params or struct whose members follow op's output shape; see
// protocol.Field) inside <OpResponse><OpResult>, then ResponseMetadata.
// Operations without output get only ResponseMetadata. A result that does
// not fit the shape is a server bug and is answered with ServiceFailure.
func WriteResponse(w http.ResponseWriter, svc *model.Service, op *model.Operation, result any, requestID string) {
	buf := buffers.Get().(*[]byte)
	defer releaseBuffer(buf)
	b, err := appendResponse((*buf)[:0], svc, op, result, requestID)
	*buf = b
	if err != nil {
		WriteError(w, svc, err, requestID)
		return
	}
	writeXML(w, http.StatusOK, requestID, b)
}

// Marshal renders op's success response document.
func Marshal(svc *model.Service, op *model.Operation, result any, requestID string) ([]byte, error) {
	buf := buffers.Get().(*[]byte)
	defer releaseBuffer(buf)
	b, err := appendResponse((*buf)[:0], svc, op, result, requestID)
	*buf = b
	if err != nil {
		return nil, err
	}
	return bytes.Clone(b), nil
}

// WriteError writes err as the query protocol's ErrorResponse with the
// error's HTTP status; codes and default statuses are corrected from the
// service model (see protocol.ModelError). Errors that are not *awserr.Error are rendered as
// ServiceFailure without their text.
func WriteError(w http.ResponseWriter, svc *model.Service, err error, requestID string) {
	e := protocol.ModelError(svc, protocol.AWSError(err, "ServiceFailure"))
	writeXML(w, e.Status, requestID, MarshalError(svc, e, requestID))
}

// MarshalError renders the ErrorResponse document for e.
func MarshalError(svc *model.Service, e *awserr.Error, requestID string) []byte {
	typ := "Sender"
	if e.Receiver {
		typ = "Receiver"
	}
	b := make([]byte, 0, 256)
	b = append(b, `<ErrorResponse xmlns="`...)
	b = append(b, svc.XMLNamespace...)
	b = append(b, `"><Error><Type>`...)
	b = append(b, typ...)
	b = append(b, "</Type><Code>"...)
	b = appendEscaped(b, e.Code)
	b = append(b, "</Code><Message>"...)
	b = appendEscaped(b, e.Message)
	b = append(b, "</Message></Error><RequestId>"...)
	b = appendEscaped(b, requestID)
	return append(b, "</RequestId></ErrorResponse>"...)
}

// writeXML writes a response document with its status and headers. The
// three header values share one array (each capped to its element), and the
// names are given in canonical form, as Header.Set would store them.
func writeXML(w http.ResponseWriter, status int, requestID string, body []byte) {
	vals := []string{"text/xml", strconv.Itoa(len(body)), requestID}
	h := w.Header()
	h["Content-Type"] = vals[0:1:1]
	h["Content-Length"] = vals[1:2:2]
	h["X-Amzn-Requestid"] = vals[2:3:3] // x-amzn-RequestId
	w.WriteHeader(status)
	w.Write(body)
}

// urlEncoded lists, per service, the output shapes whose text is sent
// percent-encoded (RFC 3986): IAM returns every policy document that way.
var urlEncoded = map[string]map[string]bool{
	"iam": {"policyDocumentType": true},
}

// buffers pools the buffers responses are built in, so that a response
// reuses what earlier ones grew. The encoding functions append to a slice
// they return, as strconv's Append functions do: the buffer lives in local
// variables while a document is built.
var buffers = sync.Pool{New: func() any {
	b := make([]byte, 0, 2048)
	return &b
}}

// maxPooledResponse is the largest buffer kept for reuse; a very large
// listing does not pin its buffer in the pool.
const maxPooledResponse = 256 << 10

func releaseBuffer(b *[]byte) {
	if cap(*b) <= maxPooledResponse {
		buffers.Put(b)
	}
}

// appendResponse appends op's success response document for result.
func appendResponse(b []byte, svc *model.Service, op *model.Operation, result any, requestID string) ([]byte, error) {
	var err error
	b = append(b, '<')
	b = append(b, op.Name...)
	b = append(b, `Response xmlns="`...)
	b = append(b, svc.XMLNamespace...)
	b = append(b, `">`...)
	if op.Output != nil {
		wrapper := op.ResultWrapper
		if wrapper == "" {
			wrapper = op.Name + "Result"
		}
		b = append(b, '<')
		b = append(b, wrapper...)
		b = append(b, '>')
		if b, err = appendMembers(b, planFor(svc, op.Output), reflect.ValueOf(result)); err != nil {
			return b, fmt.Errorf("query: %s: %w", op.Name, err)
		}
		b = append(b, "</"...)
		b = append(b, wrapper...)
		b = append(b, '>')
	}
	b = append(b, "<ResponseMetadata><RequestId>"...)
	b = appendEscaped(b, requestID)
	b = append(b, "</RequestId></ResponseMetadata></"...)
	b = append(b, op.Name...)
	b = append(b, "Response>"...)
	return b, nil
}

// The encoding functions read results as protocol.Field, Elems, Entries and Scalar
// do, but through reflect.Value so that struct fields are read in place
// rather than copied into interfaces. A value is always the dynamic value
// (an interface is replaced by what it holds; the zero Value stands for
// nil).

var (
	mapType    = reflect.TypeFor[map[string]any]()
	paramsType = reflect.TypeFor[protocol.Params]()
	timeType   = reflect.TypeFor[time.Time]()
)

// dynamic replaces an interface value by the value it holds.
func dynamic(v reflect.Value) reflect.Value {
	if v.Kind() == reflect.Interface {
		return v.Elem()
	}
	return v
}

// present reports whether v is set: not nil, nor a nil pointer, slice,
// map or interface.
func present(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Invalid:
		return false
	case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface:
		return !v.IsNil()
	}
	return true
}

// typeName is v's type as %T prints it.
func typeName(v reflect.Value) string {
	if !v.IsValid() {
		return "<nil>"
	}
	return v.Type().String()
}

// appendMembers appends the members of p (a structure) that v sets: a
// map[string]any or protocol.Params by member name, or a struct (or
// pointer to one) by field. Anything else sets no member.
func appendMembers(b []byte, p *shapePlan, v reflect.Value) ([]byte, error) {
	var err error
	if v.Kind() == reflect.Map && (v.Type() == mapType || v.Type() == paramsType) {
		m := v.Convert(mapType).Interface().(map[string]any)
		for i := range p.members {
			mp := &p.members[i]
			x := reflect.ValueOf(m[mp.name])
			if !present(x) {
				continue
			}
			if b, err = appendValue(b, mp.tags, mp.plan, x); err != nil {
				return b, fmt.Errorf("%s: %w", mp.name, err)
			}
		}
		return b, nil
	}
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return b, nil
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return b, nil
	}
	for _, f := range p.fieldsOf(v.Type()) {
		fv := v.FieldByIndex(f.index)
		if f.omitEmpty && fv.IsZero() {
			continue
		}
		x := dynamic(fv)
		if !present(x) {
			continue
		}
		if b, err = appendValue(b, f.member.tags, f.member.plan, x); err != nil {
			return b, fmt.Errorf("%s: %w", f.member.name, err)
		}
	}
	return b, nil
}

// appendValue appends v as element t of shape p.
func appendValue(b []byte, t tags, p *shapePlan, v reflect.Value) ([]byte, error) {
	switch p.shape.Type {
	case model.Structure:
		b = append(b, t.open...)
		var err error
		if b, err = appendMembers(b, p, v); err != nil {
			return b, err
		}
		b = append(b, t.close...)
		return b, nil
	case model.List:
		return appendList(b, t, p, v)
	case model.Map:
		return appendMap(b, t, p, v)
	}
	return appendScalar(b, t, p, v)
}

// appendList appends a list value: any slice or array but a []byte.
func appendList(b []byte, t tags, p *shapePlan, v reflect.Value) ([]byte, error) {
	var err error
	k := v.Kind()
	if k != reflect.Slice && k != reflect.Array || k == reflect.Slice && v.Type().Elem().Kind() == reflect.Uint8 {
		return b, fmt.Errorf("want a list, have %s", typeName(v))
	}
	elTags := p.elemTags
	if p.shape.Flattened {
		elTags = t
	} else {
		b = append(b, t.open...)
	}
	for i := range v.Len() {
		if b, err = appendValue(b, elTags, p.elem, dynamic(v.Index(i))); err != nil {
			return b, fmt.Errorf("%d: %w", i+1, err)
		}
	}
	if !p.shape.Flattened {
		b = append(b, t.close...)
	}
	return b, nil
}

// appendMap appends a map value with string keys, sorted by key.
func appendMap(b []byte, t tags, p *shapePlan, v reflect.Value) ([]byte, error) {
	var err error
	if v.Kind() != reflect.Map || v.Type().Key().Kind() != reflect.String {
		return b, fmt.Errorf("want a map, have %s", typeName(v))
	}
	type entry struct {
		key   string
		value reflect.Value
	}
	entries := make([]entry, 0, v.Len())
	for it := v.MapRange(); it.Next(); {
		entries = append(entries, entry{it.Key().String(), dynamic(it.Value())})
	}
	slices.SortFunc(entries, func(x, y entry) int { return strings.Compare(x.key, y.key) })
	b = append(b, t.open...)
	for _, en := range entries {
		b = append(b, "<entry>"...)
		if b, err = appendValue(b, p.keyTags, p.key, reflect.ValueOf(en.key)); err != nil {
			return b, err
		}
		if b, err = appendValue(b, p.valueTags, p.value, en.value); err != nil {
			return b, fmt.Errorf("%s: %w", en.key, err)
		}
		b = append(b, "</entry>"...)
	}
	b = append(b, t.close...)
	return b, nil
}

// scalarValue is a scalar normalized as protocol.Scalar normalizes it.
type scalarValue struct {
	kind  reflect.Kind // String, Int64, Float64, Bool, Struct (time) or Slice ([]byte)
	str   string
	num   int64
	float float64
	bool  bool
	time  time.Time
	bytes []byte
}

// normalize reads v as a scalar: pointers are followed, named types
// reduced to their kind, unsigned integers widened to int64. ok is false for
// anything that is not a scalar.
func normalize(v reflect.Value) (x scalarValue, ok bool) {
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return x, false
		}
		v = v.Elem()
	}
	switch v.Kind() {
	case reflect.String:
		x.kind, x.str = reflect.String, v.String()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		x.kind, x.num = reflect.Int64, v.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		x.kind, x.num = reflect.Int64, int64(v.Uint())
	case reflect.Float32, reflect.Float64:
		x.kind, x.float = reflect.Float64, v.Float()
	case reflect.Bool:
		x.kind, x.bool = reflect.Bool, v.Bool()
	case reflect.Struct:
		if v.Type() != timeType {
			return x, false
		}
		x.kind = reflect.Struct
		if v.CanAddr() {
			x.time = *v.Addr().Interface().(*time.Time)
		} else {
			x.time = v.Interface().(time.Time)
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() != reflect.Uint8 {
			return x, false
		}
		x.kind, x.bytes = reflect.Slice, v.Bytes()
	default:
		return x, false
	}
	return x, true
}

// appendScalar appends v as element t of scalar shape p: its text, XML-escaped,
// or percent-encoded for the shapes urlEncoded names.
func appendScalar(b []byte, t tags, p *shapePlan, v reflect.Value) ([]byte, error) {
	x, ok := normalize(v)
	if !ok {
		return b, fmt.Errorf("want a %s, have %s", p.shape.Type, typeName(v))
	}
	b = append(b, t.open...)
	start := len(b)
	if p.shape.Type == model.String && x.kind == reflect.String {
		if p.urlEncoded {
			b = appendRFC3986(b, x.str)
		} else {
			b = appendEscaped(b, x.str)
		}
		b = append(b, t.close...)
		return b, nil
	}
	if b, ok = appendScalarText(b, p.shape.Type, &x); !ok {
		return b, fmt.Errorf("want a %s, have %s", p.shape.Type, typeName(v))
	}
	// The text of numbers, booleans, timestamps and blobs needs no XML
	// escaping.
	if p.urlEncoded {
		text := string(b[start:])
		b = appendRFC3986(b[:start], text)
	}
	b = append(b, t.close...)
	return b, nil
}

// appendScalarText appends the text of a non-string scalar of shape type
// typ; ok is false when x is not of that type.
func appendScalarText(b []byte, typ string, x *scalarValue) ([]byte, bool) {
	switch typ {
	case model.Integer, model.Long:
		if x.kind == reflect.Int64 {
			return strconv.AppendInt(b, x.num, 10), true
		}
	case model.Float, model.Double:
		switch x.kind {
		case reflect.Float64:
			return appendFloat(b, x.float), true
		case reflect.Int64:
			return strconv.AppendInt(b, x.num, 10), true
		}
	case model.Boolean:
		if x.kind == reflect.Bool {
			return strconv.AppendBool(b, x.bool), true
		}
	case model.Timestamp:
		if x.kind == reflect.Struct {
			return appendTimestamp(b, x.time), true
		}
	case model.Blob:
		switch x.kind {
		case reflect.Slice:
			return base64.StdEncoding.AppendEncode(b, x.bytes), true
		case reflect.String:
			return base64.StdEncoding.AppendEncode(b, []byte(x.str)), true
		}
	}
	return b, false
}

// appendTimestamp appends t in UTC as TimeFormat lays it out, without
// interpreting the layout for the four-digit years every real timestamp has.
func appendTimestamp(b []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return t.AppendFormat(b, TimeFormat)
	}
	hour, minute, sec := t.Clock()
	b = append(b, byte('0'+year/1000), byte('0'+year/100%10), byte('0'+year/10%10), byte('0'+year%10), '-')
	b = appendTwoDigits(b, int(month))
	b = append(b, '-')
	b = appendTwoDigits(b, day)
	b = append(b, 'T')
	b = appendTwoDigits(b, hour)
	b = append(b, ':')
	b = appendTwoDigits(b, minute)
	b = append(b, ':')
	b = appendTwoDigits(b, sec)
	return append(b, 'Z')
}

func appendTwoDigits(b []byte, n int) []byte {
	return append(b, byte('0'+n/10), byte('0'+n%10))
}

func appendFloat(b []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(b, "Infinity"...)
	case math.IsInf(f, -1):
		return append(b, "-Infinity"...)
	case math.IsNaN(f):
		return append(b, "NaN"...)
	}
	return strconv.AppendFloat(b, f, 'f', -1, 64)
}
