package query

import (
	"net/url"
	"reflect"
	"strings"
	"testing"
)

var formCases = []string{
	"", "a=1", "a=1&b=2&a=3", "a=1&&b", "=x&a=", "a;b=1&c=2", "a=%zz&b=2&c=%", "%zz=1&b=2", "a+b=c+d&e%20f=g%26h",
	"Action=GetUser&Version=2010-05-08&UserName=alice", "a=1&a=2&a=3&b=4", "a=1;b=2", "&&&", "k=v=w",
	strings.Repeat("a=1&", maxFormParams) + "b=2", strings.Repeat("&", maxFormParams-1) + "a=1",
}

func TestParseForm(t *testing.T) {
	for _, s := range formCases {
		checkParseForm(t, s)
	}
}

// FuzzParseForm checks ParseForm against url.ParseQuery.
func FuzzParseForm(f *testing.F) {
	for _, s := range formCases[:len(formCases)-2] {
		f.Add(s)
	}
	f.Fuzz(checkParseForm)
}

func checkParseForm(t *testing.T, s string) {
	want, wantErr := url.ParseQuery(s)
	got, err := ParseForm(s)
	if !reflect.DeepEqual(got, want) || (err == nil) != (wantErr == nil) || err != nil && err.Error() != wantErr.Error() {
		t.Fatalf("ParseForm(%.100q) = %v, %v; url.ParseQuery: %v, %v", s, got, err, want, wantErr)
	}
	// Repeated keys' values must not share storage with other keys'.
	for k, vs := range got {
		got[k] = append(vs, "appended")
	}
	for k, vs := range got {
		if len(vs) != len(want[k])+1 || !reflect.DeepEqual(vs[:len(vs)-1], want[k]) {
			t.Fatalf("ParseForm(%.100q): after appending, %q = %q", s, k, vs)
		}
	}
}
