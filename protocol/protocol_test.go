package protocol

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/awserr"
	"github.com/gatehouse-iam/gatehouse/protocol/model"
	"github.com/gatehouse-iam/gatehouse/store"
)

func TestParamsAccessors(t *testing.T) {
	at := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	p := Params{
		"Name": "alice", "Max": int64(5), "Ratio": 0.5, "On": true, "At": at, "Blob": []byte("x"),
		"Tags":    []any{map[string]any{"Key": "k"}, Params{"Key": "l"}},
		"Names":   []any{"a", "b"},
		"Nested":  map[string]any{"Inner": "v"},
		"Map":     map[string]any{"a": "1"},
		"Present": []any{},
	}
	if p.String("Name") != "alice" || p.String("Max") != "" || !p.Has("Present") || p.Has("Missing") {
		t.Error("String/Has")
	}
	if n, ok := p.Int("Max"); !ok || n != 5 {
		t.Error("Int")
	}
	if _, ok := p.Int("Name"); ok {
		t.Error("Int of a string")
	}
	if f, ok := p.Float("Ratio"); !ok || f != 0.5 {
		t.Error("Float")
	}
	if b, ok := p.Bool("On"); !ok || !b {
		t.Error("Bool")
	}
	if v, ok := p.Time("At"); !ok || !v.Equal(at) {
		t.Error("Time")
	}
	if string(p.Bytes("Blob")) != "x" || p.Struct("Nested").String("Inner") != "v" || p.Struct("Name") != nil {
		t.Error("Bytes/Struct")
	}
	if tags := p.Structs("Tags"); len(tags) != 2 || tags[1].String("Key") != "l" {
		t.Error("Structs")
	}
	if names := p.Strings("Names"); len(names) != 2 || names[1] != "b" || p.Strings("Missing") != nil {
		t.Error("Strings")
	}
	if m := p.StringMap("Map"); m["a"] != "1" || p.StringMap("Names") != nil {
		t.Error("StringMap")
	}
	if l := p.List("Present"); l == nil || len(l) != 0 {
		t.Error("an empty list must stay distinguishable from an absent one")
	}
}

type inner struct{ Key string }

type result struct {
	Name     string
	Renamed  string     `aws:"Other"`
	Skipped  string     `aws:"-"`
	Optional string     `aws:",omitempty"`
	When     *time.Time // nil: absent
	Items    []inner
	unexp    string
}

func TestField(t *testing.T) {
	r := &result{Name: "n", Renamed: "o", Skipped: "s", Items: []inner{{"k"}}, unexp: "u"}
	tests := []struct {
		v    any
		name string
		want any
		ok   bool
	}{
		{r, "Name", "n", true},
		{*r, "Name", "n", true},
		{r, "Other", "o", true},
		{r, "Renamed", nil, false},
		{r, "Skipped", nil, false},
		{r, "Optional", nil, false},
		{r, "When", nil, false},
		{r, "unexp", nil, false},
		{(*result)(nil), "Name", nil, false},
		{map[string]any{"A": 1, "B": nil}, "A", 1, true},
		{map[string]any{"B": nil}, "B", nil, false},
		{Params{"A": []string(nil)}, "A", nil, false},
		{"not a structure", "A", nil, false},
		{nil, "A", nil, false},
	}
	for _, tt := range tests {
		got, ok := Field(tt.v, tt.name)
		if ok != tt.ok || (ok && fmt.Sprint(got) != fmt.Sprint(tt.want)) {
			t.Errorf("Field(%T, %s) = %v, %v", tt.v, tt.name, got, ok)
		}
	}
	items, _ := Field(r, "Items")
	if els, ok := Elems(items); !ok || len(els) != 1 {
		t.Errorf("Elems %v", items)
	}
	if _, ok := Elems([]byte("blob")); ok {
		t.Error("a blob is not a list")
	}
	if e, ok := Entries(map[string]int{"b": 2, "a": 1}); !ok || len(e) != 2 || e[0].Key != "a" {
		t.Errorf("Entries %v", e)
	}
}

type status string

func TestScalar(t *testing.T) {
	at := time.Unix(0, 0)
	tests := []struct {
		in   any
		want any
		ok   bool
	}{
		{"s", "s", true}, {status("Active"), "Active", true}, {7, int64(7), true}, {int32(7), int64(7), true},
		{uint8(7), int64(7), true}, {float32(0.5), 0.5, true}, {true, true, true}, {at, at, true}, {&at, at, true},
		{(*time.Time)(nil), nil, false}, {[]byte("b"), []byte("b"), true}, {struct{}{}, nil, false}, {[]int{1}, nil, false},
	}
	for _, tt := range tests {
		got, ok := Scalar(tt.in)
		if ok != tt.ok || fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("Scalar(%#v) = %#v, %v", tt.in, got, ok)
		}
	}
}

func TestModelError(t *testing.T) {
	iam := model.MustLoad("iam")
	aa := model.MustLoad("accessanalyzer")
	tests := []struct {
		svc    *model.Service
		err    *awserr.Error
		code   string
		status int
	}{
		{iam, awserr.New("NoSuchEntityException", "x"), "NoSuchEntity", 404},
		{iam, awserr.New("NoSuchEntity", "x"), "NoSuchEntity", 404},
		{iam, awserr.New("ReportInProgress", "x"), "ReportInProgress", 404},
		{iam, awserr.New("CredentialReportNotPresentException", "x"), "ReportNotPresent", 410},
		{iam, awserr.New("AccessDenied", "x"), "AccessDenied", 403},
		{aa, awserr.New("ResourceNotFoundException", "x"), "ResourceNotFoundException", 404},
		{aa, awserr.New("InternalServerException", "x"), "InternalServerException", 500},
		{aa, &awserr.Error{Code: "ConflictException", Status: 418}, "ConflictException", 418},
	}
	for _, tt := range tests {
		got := ModelError(tt.svc, tt.err)
		if got.Code != tt.code || got.Status != tt.status || got.Receiver != (tt.status >= 500) {
			t.Errorf("%s: %+v", tt.err.Code, got)
		}
	}
}

func TestErrors(t *testing.T) {
	base := awserr.New("InvalidInputException", "bad")
	fe := WithFields(base, map[string]any{"Reason": "INVALID_ENUM"})
	wrapped := fmt.Errorf("handler: %w", fe)
	if ErrorFields(wrapped)["Reason"] != "INVALID_ENUM" || ErrorFields(base) != nil {
		t.Error("ErrorFields")
	}
	if AWSError(wrapped, "ServiceFailure") != base || fe.Error() != base.Error() {
		t.Error("AWSError must find the wrapped AWS error")
	}
	if e := AWSError(errors.New("secret detail"), "ServiceFailure"); e.Code != "ServiceFailure" || e.Status != 500 ||
		!e.Receiver || e.Message != "An internal error occurred." {
		t.Errorf("server fault %+v", e)
	}
}

func TestAWSErrorUnavailable(t *testing.T) {
	e := AWSError(fmt.Errorf("writing: %w", store.ErrBusy), "ServiceFailure")
	if e.Code != "ServiceUnavailable" || e.Status != 503 {
		t.Fatalf("busy store: %+v", e)
	}
	if e := AWSError(errors.New("disk on fire"), "ServiceFailure"); e.Code != "ServiceFailure" || e.Status != 500 || strings.Contains(e.Message, "fire") {
		t.Fatalf("internal error: %+v", e)
	}
}
