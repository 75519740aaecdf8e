package protocol

import (
	"reflect"
	"sort"
	"strings"
	"sync"
	"time"
)

// The encoders read a handler's result through Field, Elems, Entries and
// Scalar, so a result may be built from map[string]any / Params, from
// structs, or from a mix. A struct field answers to its name or to its
// `aws:"Name"` tag; `aws:"Name,omitempty"` (or `aws:",omitempty"`) leaves a
// zero value out. Nil pointers, slices, maps and interfaces are absent.

// Field returns member name of the structure value v and whether it is set.
func Field(v any, name string) (any, bool) {
	switch m := v.(type) {
	case nil:
		return nil, false
	case Params:
		x, ok := m[name]
		return x, ok && !isNil(x)
	case map[string]any:
		x, ok := m[name]
		return x, ok && !isNil(x)
	}
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer || rv.Kind() == reflect.Interface {
		if rv.IsNil() {
			return nil, false
		}
		rv = rv.Elem()
	}
	if rv.Kind() != reflect.Struct {
		return nil, false
	}
	f, ok := StructFields(rv.Type())[name]
	if !ok {
		return nil, false
	}
	fv := rv.FieldByIndex(f.Index)
	if f.OmitEmpty && fv.IsZero() {
		return nil, false
	}
	x := fv.Interface()
	return x, !isNil(x)
}

// Elems returns the elements of a list value (any slice or array).
func Elems(v any) ([]any, bool) {
	if l, ok := v.([]any); ok {
		return l, true
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array {
		return nil, false
	}
	if rv.Kind() == reflect.Slice && rv.Type().Elem().Kind() == reflect.Uint8 {
		return nil, false // []byte is a blob
	}
	out := make([]any, rv.Len())
	for i := range out {
		out[i] = rv.Index(i).Interface()
	}
	return out, true
}

// Entry is one entry of a map value.
type Entry struct {
	Key   string
	Value any
}

// Entries returns the entries of a map value with string keys, sorted by key.
func Entries(v any) ([]Entry, bool) {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Map || rv.Type().Key().Kind() != reflect.String {
		return nil, false
	}
	out := make([]Entry, 0, rv.Len())
	it := rv.MapRange()
	for it.Next() {
		out = append(out, Entry{Key: it.Key().String(), Value: it.Value().Interface()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, true
}

// Scalar normalizes a scalar value to string, int64, float64, bool,
// time.Time or []byte (named types and pointers are followed). It returns
// false for anything else.
func Scalar(v any) (any, bool) {
	switch x := v.(type) {
	case string, int64, float64, bool, time.Time, []byte:
		return x, true
	case *time.Time:
		if x == nil {
			return nil, false
		}
		return *x, true
	}
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return nil, false
		}
		rv = rv.Elem()
	}
	switch rv.Kind() {
	case reflect.String:
		return rv.String(), true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int(), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return int64(rv.Uint()), true
	case reflect.Float32, reflect.Float64:
		return rv.Float(), true
	case reflect.Bool:
		return rv.Bool(), true
	case reflect.Struct:
		if t, ok := rv.Interface().(time.Time); ok {
			return t, true
		}
	case reflect.Slice:
		if rv.Type().Elem().Kind() == reflect.Uint8 {
			return rv.Bytes(), true
		}
	}
	return nil, false
}

func isNil(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface:
		return rv.IsNil()
	}
	return false
}

// StructField is how a result struct's field carries a member: its index
// (reflect.Value.FieldByIndex) and whether its zero value is left out.
type StructField struct {
	Index     []int
	OmitEmpty bool
}

var fieldCache sync.Map // reflect.Type → map[string]StructField

// StructFields returns the fields of struct type t by the member names they
// carry: a field answers to its name or to its `aws:"Name"` tag, and
// `aws:",omitempty"` leaves its zero value out; `aws:"-"`, unexported and
// embedded fields carry none. The result is cached and must not be
// modified.
func StructFields(t reflect.Type) map[string]StructField {
	if m, ok := fieldCache.Load(t); ok {
		return m.(map[string]StructField)
	}
	m := map[string]StructField{}
	for _, f := range reflect.VisibleFields(t) {
		if !f.IsExported() || f.Anonymous {
			continue
		}
		name, opts, _ := strings.Cut(f.Tag.Get("aws"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		m[name] = StructField{Index: f.Index, OmitEmpty: opts == "omitempty"}
	}
	fieldCache.Store(t, m)
	return m
}
