// Package gzjson reads gzip-compressed JSON, the form in which the catalog
// and the AWS managed policies embed their data.
package gzjson

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
)

// Unmarshal decompresses gz and decodes the JSON document into v.
func Unmarshal(gz []byte, v any) error {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return err
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return err
	}
	return json.Unmarshal(raw, v)
}
