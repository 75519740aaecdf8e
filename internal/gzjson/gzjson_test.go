package gzjson

import (
	"bytes"
	"compress/gzip"
	"testing"
)

func TestUnmarshal(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte(`{"a":1}`))
	zw.Close()
	var v struct{ A int }
	if err := Unmarshal(buf.Bytes(), &v); err != nil || v.A != 1 {
		t.Errorf("Unmarshal = %+v, %v", v, err)
	}
	for _, bad := range [][]byte{nil, []byte("not gzip"), buf.Bytes()[:buf.Len()-4]} {
		if err := Unmarshal(bad, &v); err == nil {
			t.Errorf("Unmarshal(%q) accepted", bad)
		}
	}
}
