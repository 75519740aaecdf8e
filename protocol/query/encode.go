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
	e := encoders.Get().(*encoder)
	defer e.release()
	if err := e.response(svc, op, result, requestID); err != nil {
		WriteError(w, svc, err, requestID)
		return
	}
	writeXML(w, http.StatusOK, requestID, e.b)
}

// Marshal renders op's success response document.
func Marshal(svc *model.Service, op *model.Operation, result any, requestID string) ([]byte, error) {
	e := encoders.Get().(*encoder)
	defer e.release()
	if err := e.response(svc, op, result, requestID); err != nil {
		return nil, err
	}
	return bytes.Clone(e.b), nil
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

// encoder writes one response document into b. Encoders are pooled: a
// response is built in a buffer that earlier responses grew.
type encoder struct {
	b []byte
}

var encoders = sync.Pool{New: func() any { return &encoder{b: make([]byte, 0, 2048)} }}

// maxPooledResponse is the largest buffer kept for reuse; a very large
// listing does not pin its buffer in the pool.
const maxPooledResponse = 256 << 10

func (e *encoder) release() {
	if cap(e.b) > maxPooledResponse {
		return
	}
	e.b = e.b[:0]
	encoders.Put(e)
}

// response writes op's success response document for result.
func (e *encoder) response(svc *model.Service, op *model.Operation, result any, requestID string) error {
	e.b = append(e.b, '<')
	e.b = append(e.b, op.Name...)
	e.b = append(e.b, `Response xmlns="`...)
	e.b = append(e.b, svc.XMLNamespace...)
	e.b = append(e.b, `">`...)
	if op.Output != nil {
		wrapper := op.ResultWrapper
		if wrapper == "" {
			wrapper = op.Name + "Result"
		}
		e.b = append(e.b, '<')
		e.b = append(e.b, wrapper...)
		e.b = append(e.b, '>')
		if err := e.members(planFor(svc, op.Output), reflect.ValueOf(result)); err != nil {
			return fmt.Errorf("query: %s: %w", op.Name, err)
		}
		e.b = append(e.b, "</"...)
		e.b = append(e.b, wrapper...)
		e.b = append(e.b, '>')
	}
	e.b = append(e.b, "<ResponseMetadata><RequestId>"...)
	e.b = appendEscaped(e.b, requestID)
	e.b = append(e.b, "</RequestId></ResponseMetadata></"...)
	e.b = append(e.b, op.Name...)
	e.b = append(e.b, "Response>"...)
	return nil
}

// The encoder reads results as protocol.Field, Elems, Entries and Scalar
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

// members writes the members of p (a structure) that v sets: a
// map[string]any or protocol.Params by member name, or a struct (or
// pointer to one) by field. Anything else sets no member.
func (e *encoder) members(p *shapePlan, v reflect.Value) error {
	if v.Kind() == reflect.Map && (v.Type() == mapType || v.Type() == paramsType) {
		m := v.Convert(mapType).Interface().(map[string]any)
		for i := range p.members {
			mp := &p.members[i]
			x := reflect.ValueOf(m[mp.name])
			if !present(x) {
				continue
			}
			if err := e.value(mp.tags, mp.plan, x); err != nil {
				return fmt.Errorf("%s: %w", mp.name, err)
			}
		}
		return nil
	}
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return nil
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
		if err := e.value(f.member.tags, f.member.plan, x); err != nil {
			return fmt.Errorf("%s: %w", f.member.name, err)
		}
	}
	return nil
}

// value writes v as element t of shape p.
func (e *encoder) value(t tags, p *shapePlan, v reflect.Value) error {
	switch p.shape.Type {
	case model.Structure:
		e.b = append(e.b, t.open...)
		if err := e.members(p, v); err != nil {
			return err
		}
		e.b = append(e.b, t.close...)
		return nil
	case model.List:
		return e.list(t, p, v)
	case model.Map:
		return e.mapEntries(t, p, v)
	}
	return e.scalar(t, p, v)
}

// list writes a list value: any slice or array but a []byte.
func (e *encoder) list(t tags, p *shapePlan, v reflect.Value) error {
	k := v.Kind()
	if k != reflect.Slice && k != reflect.Array || k == reflect.Slice && v.Type().Elem().Kind() == reflect.Uint8 {
		return fmt.Errorf("want a list, have %s", typeName(v))
	}
	elTags := p.elemTags
	if p.shape.Flattened {
		elTags = t
	} else {
		e.b = append(e.b, t.open...)
	}
	for i := range v.Len() {
		if err := e.value(elTags, p.elem, dynamic(v.Index(i))); err != nil {
			return fmt.Errorf("%d: %w", i+1, err)
		}
	}
	if !p.shape.Flattened {
		e.b = append(e.b, t.close...)
	}
	return nil
}

// mapEntries writes a map value with string keys, sorted by key.
func (e *encoder) mapEntries(t tags, p *shapePlan, v reflect.Value) error {
	if v.Kind() != reflect.Map || v.Type().Key().Kind() != reflect.String {
		return fmt.Errorf("want a map, have %s", typeName(v))
	}
	type entry struct {
		key   string
		value reflect.Value
	}
	entries := make([]entry, 0, v.Len())
	for it := v.MapRange(); it.Next(); {
		entries = append(entries, entry{it.Key().String(), dynamic(it.Value())})
	}
	slices.SortFunc(entries, func(a, b entry) int { return strings.Compare(a.key, b.key) })
	e.b = append(e.b, t.open...)
	for _, en := range entries {
		e.b = append(e.b, "<entry>"...)
		if err := e.value(p.keyTags, p.key, reflect.ValueOf(en.key)); err != nil {
			return err
		}
		if err := e.value(p.valueTags, p.value, en.value); err != nil {
			return fmt.Errorf("%s: %w", en.key, err)
		}
		e.b = append(e.b, "</entry>"...)
	}
	e.b = append(e.b, t.close...)
	return nil
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

// scalar writes v as element t of scalar shape p: its text, XML-escaped,
// or percent-encoded for the shapes urlEncoded names.
func (e *encoder) scalar(t tags, p *shapePlan, v reflect.Value) error {
	x, ok := normalize(v)
	if !ok {
		return fmt.Errorf("want a %s, have %s", p.shape.Type, typeName(v))
	}
	e.b = append(e.b, t.open...)
	start := len(e.b)
	if p.shape.Type == model.String && x.kind == reflect.String {
		if p.urlEncoded {
			e.b = appendRFC3986(e.b, x.str)
		} else {
			e.b = appendEscaped(e.b, x.str)
		}
		e.b = append(e.b, t.close...)
		return nil
	}
	if e.b, ok = appendScalarText(e.b, p.shape.Type, &x); !ok {
		return fmt.Errorf("want a %s, have %s", p.shape.Type, typeName(v))
	}
	// The text of numbers, booleans, timestamps and blobs needs no XML
	// escaping.
	if p.urlEncoded {
		text := string(e.b[start:])
		e.b = appendRFC3986(e.b[:start], text)
	}
	e.b = append(e.b, t.close...)
	return nil
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
