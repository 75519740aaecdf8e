package jsonbody

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/awserr"
	"github.com/gatehouse-iam/gatehouse/protocol/model"
)

func ptr(v int64) *int64 { return &v }

// shape builds a structure of one member per type, for tests.
func shape() *model.Shape {
	str := &model.Shape{Name: "S", Type: model.String}
	iso := &model.Shape{Name: "Iso", Type: model.Timestamp, TimestampFormat: "iso8601"}
	m := func(name string, s *model.Shape) *model.Member { return &model.Member{Name: name, Shape: s} }
	s := &model.Shape{Name: "Root", Type: model.Structure, Members: []*model.Member{
		m("z", str),
		m("Int", &model.Shape{Type: model.Integer}),
		m("Long", &model.Shape{Type: model.Long}),
		m("Dbl", &model.Shape{Type: model.Double}),
		m("Bool", &model.Shape{Type: model.Boolean}),
		m("Epoch", &model.Shape{Type: model.Timestamp}),
		m("Iso", iso),
		m("Blob", &model.Shape{Type: model.Blob}),
		m("List", &model.Shape{Type: model.List, Member: m("", str)}),
		m("Map", &model.Shape{Type: model.Map, Key: m("", str), Value: m("", &model.Shape{Type: model.Integer})}),
		{Name: "Label", Shape: str, Location: "uri", LocationName: "label"},
		{Name: "Renamed", Shape: str, LocationName: "renamed"},
	}}
	return s
}

func TestDecode(t *testing.T) {
	got, err := Decode(shape(), []byte(`{"z":"s","Int":-5,"Long":9007199254740993,"Dbl":1.5e3,"Bool":true,"Epoch":1704164645.25,`+
		`"Iso":"2024-01-02T03:04:05Z","Blob":"aGk=","List":["a",null],"Map":{"a":1,"b":null},"Label":"body","renamed":"r","Unknown":{"x":[1]},"Int2":null}`))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"z": "s", "Int": int64(-5), "Long": int64(9007199254740993), "Dbl": 1500.0, "Bool": true,
		"Epoch": time.Date(2024, 1, 2, 3, 4, 5, 250e6, time.UTC), "Iso": time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC),
		"Blob": []byte("hi"), "List": []any{"a", nil}, "Map": map[string]any{"a": int64(1)}, "Renamed": "r"}
	gj, _ := json.Marshal(got)
	wj, _ := json.Marshal(want)
	if string(gj) != string(wj) {
		t.Errorf("got  %s\nwant %s", gj, wj)
	}
	if e, ok := got["Epoch"].(time.Time); !ok || !e.Equal(want["Epoch"].(time.Time)) {
		t.Errorf("Epoch %v", got["Epoch"])
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct{ body, want string }{
		{`{"Int":"5"}`, "Expected a number, found a string at 'int'"},
		{`{"Int":1.5}`, "Expected an integer, found a number at 'int'"},
		{`{"Int":2147483648}`, "Expected an integer, found a number at 'int'"},
		{`{"Bool":"true"}`, "Expected a boolean, found a string at 'bool'"},
		{`{"List":"a"}`, "Expected an array, found a string at 'list'"},
		{`{"List":[1]}`, "Expected a string, found a number at 'list.1.member'"},
		{`{"Map":[]}`, "Expected an object, found an array at 'map'"},
		{`{"Map":{"k":"v"}}`, "Expected a number, found a string at 'map.k'"},
		{`{"Epoch":1e300}`, "Expected a timestamp, found a number at 'epoch'"},
		{`{"Iso":"yesterday"}`, "Expected a timestamp, found a string at 'iso'"},
		{`{"Blob":"***"}`, "Expected a base64 string, found a string at 'blob'"},
		{`[]`, "The request body is not a JSON object."},
		{`{} {}`, "The request body has data after its JSON value."},
		{`nul`, "The request body is not valid JSON: unexpected EOF"},
	}
	for _, tt := range tests {
		_, err := Decode(shape(), []byte(tt.body))
		if err == nil || err.Error() != tt.want {
			t.Errorf("%s: %v, want %s", tt.body, err, tt.want)
		}
	}
	if m, err := Decode(shape(), []byte("  \n")); err != nil || len(m) != 0 {
		t.Errorf("empty body: %v %v", m, err)
	}
}

func TestEncode(t *testing.T) {
	at := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	got, err := Encode(shape(), map[string]any{
		"z": "s", "Int": 5, "Long": int64(1) << 60, "Dbl": math.NaN(), "Bool": false, "Epoch": at.Add(120 * time.Millisecond),
		"Iso": at, "Blob": []byte("hi"), "List": []string{"a", "b"}, "Map": map[string]int{"b": 2, "a": 1},
		"Label": "not in the body", "Renamed": "r", "Extra": "ignored",
	})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"z":"s","Int":5,"Long":1152921504606846976,"Dbl":"NaN","Bool":false,"Epoch":1704164645.120,` +
		`"Iso":"2024-01-02T03:04:05Z","Blob":"aGk=","List":["a","b"],"Map":{"a":1,"b":2},"renamed":"r"}`
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if b, _ := Encode(shape(), map[string]any{"Epoch": at}); string(b) != `{"Epoch":1704164645}` {
		t.Errorf("whole seconds: %s", b)
	}
	if b, _ := Encode(nil, map[string]any{"a": 1}); string(b) != "{}" {
		t.Errorf("no shape: %s", b)
	}
	for _, bad := range []map[string]any{{"Int": "five"}, {"List": 3}, {"Map": []int{}}, {"Iso": "today"}, {"List": []any{1}}} {
		if b, err := Encode(shape(), bad); err == nil {
			t.Errorf("%v encoded as %s", bad, b)
		}
	}
}

func TestErrorBody(t *testing.T) {
	e := awserr.New("InvalidInputException", `say "hi" <now>`)
	if got := string(ErrorBody(e, "__type", "Message", map[string]any{"Reason": "INVALID_ENUM", "A": 1})); got !=
		`{"__type":"InvalidInputException","Message":"say \"hi\" \u003cnow\u003e","A":1,"Reason":"INVALID_ENUM"}` {
		t.Errorf("JSON 1.1: %s", got)
	}
	if got := string(ErrorBody(&awserr.Error{Code: "X"}, "", "message", nil)); got != `{}` {
		t.Errorf("rest-json without message: %s", got)
	}
}
