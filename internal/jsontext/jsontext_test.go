package jsontext

import (
	"encoding/json"
	"testing"
)

var samples = []string{"", "plain", `quote " backslash \ slash /`, "<script>&</script>", "\b\f\n\r\t\x00\x1f\x7f",
	"ünïcödé 日本", "line\u2028para\u2029", "\u2027\u202a", "\xe2\x80", "\xf0\x9f\x98", "bad \xff\xfe utf-8", "\xed\xa0\x80 surrogate", "emoji 🎉"}

func TestAppendStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range samples {
		want, _ := json.Marshal(s)
		if got := AppendString([]byte("x"), s); string(got) != "x"+string(want) {
			t.Errorf("AppendString(%q) = %s, want %s", s, got[1:], want)
		}
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range samples {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := AppendString(nil, s); string(got) != string(want) {
			t.Fatalf("AppendString(%q) = %s, want %s", s, got, want)
		}
	})
}
