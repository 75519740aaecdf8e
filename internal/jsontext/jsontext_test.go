package jsontext

import (
	"encoding/json"
	"strings"
	"testing"
)

var samples = []string{"", "plain", `quote " backslash \ slash /`, "<script>&</script>", "\b\f\n\r\t\x00\x1f\x7f",
	"ünïcödé 日本", "line\u2028para\u2029", "\u2027\u202a", "\xe2\x80", "\xf0\x9f\x98", "bad \xff\xfe utf-8", "\xed\xa0\x80 surrogate", "emoji 🎉",
	"arn:aws:s3:::my-app-artifacts/alice/obj-17.bin", "because no identity-based policy allows the s3:PutObject action",
	"exactly8", "sixteen bytes ok", "seventeen bytes!!", "\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f~~~~~~~~", "        \x1f       ",
	"long run of plain text then a 日本 rune then more plain text", "ends with bad byte 1234567\xff"}

func TestAppendStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range samples {
		want, _ := json.Marshal(s)
		if got := AppendString([]byte("x"), s); string(got) != "x"+string(want) {
			t.Errorf("AppendString(%q) = %s, want %s", s, got[1:], want)
		}
		if got := AppendBytes([]byte("x"), []byte(s)); string(got) != "x"+string(want) {
			t.Errorf("AppendBytes(%q) = %s, want %s", s, got[1:], want)
		}
	}
}

// TestAppendStringEveryByteAtEveryPosition puts each byte value, and each
// special rune, at every position of strings that span several eight-byte
// four-byte steps, so that the unrolled scan meets it in each place.
func TestAppendStringEveryByteAtEveryPosition(t *testing.T) {
	var specials []string
	for c := range 256 {
		specials = append(specials, string([]byte{byte(c)}))
	}
	specials = append(specials, "\u2028", "\u2029", "é", "日", "🎉", "\xe2\x80")
	for _, sp := range specials {
		for pos := range 20 {
			s := strings.Repeat("a", pos) + sp + strings.Repeat("b", 20-pos)
			want, _ := json.Marshal(s)
			if got := AppendString(nil, s); string(got) != string(want) {
				t.Fatalf("AppendString(%q) = %s, want %s", s, got, want)
			}
			if got := AppendBytes(nil, []byte(s)); string(got) != string(want) {
				t.Fatalf("AppendBytes(%q) = %s, want %s", s, got, want)
			}
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
		if got := AppendBytes(nil, []byte(s)); string(got) != string(want) {
			t.Fatalf("AppendBytes(%q) = %s, want %s", s, got, want)
		}
	})
}

// BenchmarkAppendString writes strings of the decision API's and audit
// events' kinds: short names, ARNs, sentences, and ones with escapes or
// non-ASCII text.
func BenchmarkAppendString(b *testing.B) {
	for _, bm := range []struct{ name, s string }{
		{"short", "allow"},
		{"arn", "arn:aws:s3:::my-app-artifacts/alice/obj-17.bin"},
		{"message", "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: s3:PutObject on resource: " +
			"arn:aws:s3:::my-app-artifacts/alice/obj-17.bin because no identity-based policy allows the s3:PutObject action"},
		{"escapes", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`},
		{"unicode", "ünïcödé 日本 — naïve café résumé"},
	} {
		b.Run(bm.name, func(b *testing.B) {
			buf := make([]byte, 0, 1024)
			b.SetBytes(int64(len(bm.s)))
			for b.Loop() {
				buf = AppendString(buf[:0], bm.s)
			}
		})
		b.Run(bm.name+"/bytes", func(b *testing.B) {
			buf, s := make([]byte, 0, 1024), []byte(bm.s)
			b.SetBytes(int64(len(s)))
			b.ReportAllocs()
			for b.Loop() {
				buf = AppendBytes(buf[:0], s)
			}
		})
	}
}
