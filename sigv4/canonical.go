package sigv4

import (
	"cmp"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// This file builds the canonical request exactly as AWS defines it:
//
//	Method \n CanonicalURI \n CanonicalQuery \n CanonicalHeaders \n SignedHeaders \n PayloadHash
//
// Everything appends to a caller-supplied buffer so that verifying a request
// needs no allocation beyond what decoding unusual input requires.

const (
	algorithm       = "AWS4-HMAC-SHA256"
	isoBasic        = "20060102T150405Z"
	scopeTerminator = "aws4_request"
	unsignedPayload = "UNSIGNED-PAYLOAD"
	upperHex        = "0123456789ABCDEF"
)

// queryParam is one name=value pair of a query string: decoded (Key, Value)
// and in canonical RFC 3986 encoding (encKey, encValue).
type queryParam struct {
	Key, Value       string
	encKey, encValue string
}

// parseQuery splits a raw query string into its parameters, appending them to
// dst. '+' decodes to a space, as the AWS SDKs treat it. A malformed escape
// is a MalformedQueryString error.
func parseQuery(raw string, dst []queryParam) ([]queryParam, error) {
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		dk, err := unescape(k, true)
		if err != nil {
			return dst, err
		}
		dv, err := unescape(v, true)
		if err != nil {
			return dst, err
		}
		dst = append(dst, queryParam{Key: dk, Value: dv, encKey: escape(dk, false), encValue: escape(dv, false)})
	}
	return dst, nil
}

// firstParam returns the value of the first parameter named key.
func firstParam(params []queryParam, key string) (string, bool) {
	for i := range params {
		if params[i].Key == key {
			return params[i].Value, true
		}
	}
	return "", false
}

// sortParams orders parameters by encoded name, then encoded value, as the
// canonical query string requires.
func sortParams(params []queryParam) {
	slices.SortFunc(params, func(a, b queryParam) int {
		if c := cmp.Compare(a.encKey, b.encKey); c != 0 {
			return c
		}
		return cmp.Compare(a.encValue, b.encValue)
	})
}

// appendCanonicalQuery writes the sorted parameters, leaving out the one
// named skip (X-Amz-Signature for presigned requests).
func appendCanonicalQuery(b []byte, sorted []queryParam, skip string) []byte {
	first := true
	for i := range sorted {
		p := &sorted[i]
		if skip != "" && p.Key == skip {
			continue
		}
		if !first {
			b = append(b, '&')
		}
		first = false
		b = append(b, p.encKey...)
		b = append(b, '=')
		b = append(b, p.encValue...)
	}
	return b
}

func isUnreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == '~'
}

// escape percent-encodes every byte of s outside the RFC 3986 unreserved set
// (and '/' too unless keepSlash), with uppercase hex. It returns s itself when
// nothing needs encoding.
func escape(s string, keepSlash bool) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isUnreserved(c) && !(keepSlash && c == '/') {
			return string(appendEscaped(make([]byte, 0, len(s)+16), s, keepSlash))
		}
	}
	return s
}

func appendEscaped(b []byte, s string, keepSlash bool) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isUnreserved(c) || keepSlash && c == '/' {
			b = append(b, c)
		} else {
			b = append(b, '%', upperHex[c>>4], upperHex[c&15])
		}
	}
	return b
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// unescape decodes %XX escapes (and '+' as a space when plusIsSpace). It
// returns s itself when there is nothing to decode.
func unescape(s string, plusIsSpace bool) (string, error) {
	i := strings.IndexByte(s, '%')
	if plusIsSpace {
		if j := strings.IndexByte(s, '+'); j >= 0 && (i < 0 || j < i) {
			i = j
		}
	}
	if i < 0 {
		return s, nil
	}
	b := make([]byte, 0, len(s))
	b = append(b, s[:i]...)
	for ; i < len(s); i++ {
		switch c := s[i]; {
		case c == '+' && plusIsSpace:
			b = append(b, ' ')
		case c == '%':
			if i+2 >= len(s) {
				return "", errMalformedQuery("Incomplete trailing escape % sequence")
			}
			hi, ok1 := unhex(s[i+1])
			lo, ok2 := unhex(s[i+2])
			if !ok1 || !ok2 {
				return "", errMalformedQuery("Illegal hex character in escape % pattern: " + s[i:i+3])
			}
			b = append(b, hi<<4|lo)
			i += 2
		default:
			b = append(b, c)
		}
	}
	return string(b), nil
}

// wirePath is the request's path exactly as the client sent it (still
// percent-encoded): the request line's path on a server, the URL's escaped
// path on a request built in-process.
func wirePath(r *http.Request) string {
	if u := r.RequestURI; u != "" && u[0] == '/' {
		if i := strings.IndexByte(u, '?'); i >= 0 {
			u = u[:i]
		}
		return u
	}
	if o := r.URL.Opaque; strings.HasPrefix(o, "//") {
		// "//host/path": the form the AWS SDKs accept to pin a path.
		if i := strings.IndexByte(o[2:], '/'); i >= 0 {
			return o[2+i:]
		}
		return "/"
	}
	if p := r.URL.EscapedPath(); p != "" {
		return p
	}
	return "/"
}

// appendCanonicalURI writes the canonical URI for path as sent on the wire.
// For every service but S3 the already-encoded path is encoded once more
// ("each path segment is URI-encoded twice"); S3 paths are encoded once.
func appendCanonicalURI(b []byte, path string, service string) []byte {
	if service == "s3" {
		if d, err := unescape(path, false); err == nil {
			path = d
		}
	}
	return appendEscaped(b, path, true)
}

// normalizePath removes empty, "." and ".." segments as RFC 3986 dot-segment
// removal does (the AWS test suite's "normalized" form, which botocore
// signs). A trailing slash is kept.
func normalizePath(p string) string {
	if p == "" {
		return "/"
	}
	segs := make([]string, 0, 8)
	for s := range strings.SplitSeq(p, "/") {
		switch s {
		case "", ".":
		case "..":
			if len(segs) > 0 {
				segs = segs[:len(segs)-1]
			}
		default:
			segs = append(segs, s)
		}
	}
	out := "/" + strings.Join(segs, "/")
	if len(segs) > 0 && strings.HasSuffix(p, "/") {
		out += "/"
	}
	return out
}

// canonicalSignedHeaders returns the SignedHeaders list as AWS uses it:
// lower-case names in sorted order. It returns list itself when it is
// already in that form, which is what every SDK sends.
func canonicalSignedHeaders(list string) string {
	prev := ""
	ok := true
	for name := range strings.SplitSeq(list, ";") {
		if name == "" || name < prev || hasUpper(name) {
			ok = false
			break
		}
		prev = name
	}
	if ok {
		return list
	}
	names := strings.Split(strings.ToLower(list), ";")
	names = slices.DeleteFunc(names, func(s string) bool { return s == "" })
	slices.Sort(names)
	return strings.Join(names, ";")
}

func hasUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			return true
		}
	}
	return false
}

// signsHeader reports whether the canonical SignedHeaders list contains name.
func signsHeader(list, name string) bool {
	for n := range strings.SplitSeq(list, ";") {
		if n == name {
			return true
		}
	}
	return false
}

// appendCanonicalHeaders writes "name:value\n" for each signed header present
// in the request. Values are trimmed, runs of spaces collapse to one, and
// repeated headers join with ','. Host comes from r.Host (it includes the
// port); Content-Length falls back to r.ContentLength.
func appendCanonicalHeaders(b []byte, r *http.Request, signed string) []byte {
	for name := range strings.SplitSeq(signed, ";") {
		if name == "host" {
			host := r.Host
			if host == "" {
				host = r.URL.Host
			}
			b = append(b, "host:"...)
			b = appendHeaderValue(b, host)
			b = append(b, '\n')
			continue
		}
		n := 0
		for k, vs := range r.Header {
			if len(k) != len(name) || !strings.EqualFold(k, name) {
				continue
			}
			for _, v := range vs {
				if n == 0 {
					b = append(b, name...)
					b = append(b, ':')
				} else {
					b = append(b, ',')
				}
				b = appendHeaderValue(b, v)
				n++
			}
		}
		if n == 0 && name == "content-length" && r.ContentLength > 0 {
			b = append(b, "content-length:"...)
			b = strconv.AppendInt(b, r.ContentLength, 10)
			n++
		}
		if n > 0 {
			b = append(b, '\n')
		}
	}
	return b
}

// appendHeaderValue writes v without leading or trailing whitespace and with
// each run of spaces collapsed to one.
func appendHeaderValue(b []byte, v string) []byte {
	v = strings.Trim(v, " \t")
	space := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == ' ' {
			if space {
				continue
			}
			space = true
		} else {
			space = false
		}
		b = append(b, c)
	}
	return b
}
