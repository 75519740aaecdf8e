package sts

import (
	"encoding/base64"
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// fill sets every field of a struct to a non-zero value, so that a field
// the codec forgets shows up as a difference.
func fill(v reflect.Value, n int) {
	switch v.Kind() {
	case reflect.String:
		v.SetString("value-" + v.Type().String() + string(rune('a'+n%26)))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 2, 2)
		fill(s.Index(0), n+1)
		fill(s.Index(1), n+2)
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		for i := range 3 {
			k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
			fill(k, n+i)
			fill(e, n+i+7)
			m.SetMapIndex(k, e)
		}
		v.Set(m)
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		fill(p.Elem(), n)
		v.Set(p)
	case reflect.Struct:
		if v.Type() == reflect.TypeOf(time.Time{}) {
			v.Set(reflect.ValueOf(time.Date(2026, 11, 23, 14, 0, n, 123456789, time.UTC)))
			return
		}
		for i := range v.NumField() {
			fill(v.Field(i), n+i)
		}
	default:
		panic("fill: unhandled kind " + v.Kind().String() + " in Claims: teach the codec and this test")
	}
}

// decode is readClaims into new claims.
func decode(b []byte) (*Claims, error) {
	c := new(Claims)
	if err := readClaims(c, string(b), nil); err != nil {
		return nil, err
	}
	return c, nil
}

func TestCodecCoversEveryClaim(t *testing.T) {
	var c Claims
	fill(reflect.ValueOf(&c).Elem(), 0)
	got, err := decode(appendClaims(nil, &c))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, &c) {
		t.Fatalf("round trip lost fields (add new Claims fields to codec.go):\n got %+v\nwant %+v", got, &c)
	}
	// Lists read into spare room are the same, and appending to one does
	// not overwrite the next.
	for _, room := range []int{1, 2, 3, 4, 5, 8} {
		got := new(Claims)
		if err := readClaims(got, string(appendClaims(nil, &c)), make([]string, room)); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, &c) {
			t.Fatalf("with room for %d strings:\n got %+v\nwant %+v", room, got, &c)
		}
		_ = append(got.Policies, "appended")
		_ = append(got.PolicyARNs, "appended")
		if !reflect.DeepEqual(got, &c) {
			t.Fatalf("with room for %d strings, appending to a list changed the claims: %+v", room, got)
		}
	}
	// The zero claims round-trip too (nil lists and maps stay nil).
	var zero Claims
	got, err = decode(appendClaims(nil, &zero))
	if err != nil {
		t.Fatal(err)
	}
	got.Issued, got.Expires = time.Time{}, time.Time{} // Unix(0, 0) reads back as 1970
	if !reflect.DeepEqual(got, &zero) {
		t.Fatalf("zero claims: %+v", got)
	}
}

func TestReadClaimsRefusesTruncatedAndTrailingBytes(t *testing.T) {
	var c Claims
	fill(reflect.ValueOf(&c).Elem(), 3)
	enc := appendClaims(nil, &c)
	for i := range len(enc) {
		if _, err := decode(enc[:i]); err == nil {
			t.Fatalf("truncated to %d of %d bytes: decoded", i, len(enc))
		}
	}
	if _, err := decode(append(enc, 0)); err == nil {
		t.Fatal("trailing byte accepted")
	}
}

func FuzzReadClaims(f *testing.F) {
	var c Claims
	fill(reflect.ValueOf(&c).Elem(), 5)
	f.Add(appendClaims(nil, &c))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := decode(b)
		if err != nil {
			return
		}
		// Whatever decodes re-encodes to a decoding of the same claims.
		again, err := decode(appendClaims(nil, c))
		if err != nil || !reflect.DeepEqual(again, c) {
			t.Fatalf("re-encoding %+v: %+v %v", c, again, err)
		}
		// Spare room for lists changes nothing.
		spared := new(Claims)
		if err := readClaims(spared, string(b), make([]string, 3)); err != nil || !reflect.DeepEqual(spared, c) {
			t.Fatalf("with spare room: %+v %v, want %+v", spared, err, c)
		}
	})
}

// Tokens sealed before the binary encoding (format 1, JSON claims) still
// open until they expire.
func TestOpenReadsJSONTokens(t *testing.T) {
	kr, _, _ := newRing(t)
	want := &Claims{Kind: "role", Account: "123456789012", AccessKeyID: "ASIAOLDFORMAT", Tags: map[string]string{"team": "blue"},
		Issued: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC), Expires: time.Date(2026, 11, 23, 13, 0, 0, 0, time.UTC)}
	plain, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := kr.seal(jsonTokenVersion, plain)
	if err != nil {
		t.Fatal(err)
	}
	got, err := kr.Open(base64.StdEncoding.EncodeToString(raw))
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("format-1 token: %+v %v", got, err)
	}
}
