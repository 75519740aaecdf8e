package sts

import (
	"bytes"
	"encoding/base64"
	"testing"
)

// TestDecodeToken checks decodeToken against encoding/base64 on valid
// tokens of every length modulo 3 and on inputs the fast path hands over.
func TestDecodeToken(t *testing.T) {
	var inputs []string
	for n := range 40 {
		raw := make([]byte, n)
		for i := range raw {
			raw[i] = byte(i*37 + n)
		}
		inputs = append(inputs, base64.StdEncoding.EncodeToString(raw))
	}
	inputs = append(inputs, "", "QQ", "QQ=", "QUJD\nREVG", "QUJDREVG\r\n", "QU*DREVG", "QUJD=EVG", "QUJDRE==QUJD",
		"QUJDREVGR0hJ", "QUJDREVGR0g=", "QUJDREVGRw==", "QUJDREVGR===", "QUJDREVGRx==", "QUJDREVGR0hJ====", "\xffUJDREVG")
	for _, in := range inputs {
		testDecodeAgrees(t, in)
	}
}

func FuzzDecodeToken(f *testing.F) {
	for _, s := range []string{"", "QUJD", "QUJDREVGRw==", "QUJD\nREVG", base64.StdEncoding.EncodeToString(make([]byte, 300))} {
		f.Add(s)
	}
	f.Fuzz(testDecodeAgrees)
}

// testDecodeAgrees checks that decodeToken and encoding/base64 decode s
// alike: the same bytes, both failing or neither.
func testDecodeAgrees(t *testing.T, s string) {
	want := make([]byte, base64.StdEncoding.DecodedLen(len(s)))
	wn, werr := base64.StdEncoding.Decode(want, []byte(s))
	got := make([]byte, base64.StdEncoding.DecodedLen(len(s)))
	gn, gerr := decodeToken(got, s)
	if (werr == nil) != (gerr == nil) || werr != nil && werr.Error() != gerr.Error() {
		t.Fatalf("%q: error %v, encoding/base64 %v", s, gerr, werr)
	}
	if werr == nil && (gn != wn || !bytes.Equal(got[:gn], want[:wn])) {
		t.Fatalf("%q: %x, encoding/base64 %x", s, got[:gn], want[:wn])
	}
}

// BenchmarkDecodeToken compares decodeToken with encoding/base64 on a
// token of a typical role session's size.
func BenchmarkDecodeToken(b *testing.B) {
	token := base64.StdEncoding.EncodeToString(make([]byte, 387))
	dst := make([]byte, base64.StdEncoding.DecodedLen(len(token)))
	b.Run("encoding-base64", func(b *testing.B) {
		for b.Loop() {
			if _, err := decodeStd(dst, token); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decodeToken", func(b *testing.B) {
		for b.Loop() {
			if _, err := decodeToken(dst, token); err != nil {
				b.Fatal(err)
			}
		}
	})
}
