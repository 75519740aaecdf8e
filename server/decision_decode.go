package server

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// decodeAuthorizeBody reads the body of POST /_gatehouse/v1/authorize into
// what encoding/json (unknown fields disallowed) would make of it. A
// purpose-built scanner reads the shapes services send; whatever it does not
// take (unknown or differently-cased field names, a field given twice, null,
// objects or nested lists in a context, invalid JSON, anything after the
// body) is left to encoding/json, whose result and error messages stand.
func decodeAuthorizeBody(body []byte) (*authorizeBody, error) {
	in := new(authorizeBody)
	sc := bodyScanner{data: string(body)}
	if sc.body(in) {
		return in, nil
	}
	*in = authorizeBody{}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(in); err != nil {
		return nil, err
	}
	return in, nil
}

// bodyScanner reads an authorize body. Its methods report false for any
// input it leaves to encoding/json; strings it returns share the body's
// text.
type bodyScanner struct {
	data string
	pos  int
	// The last context object read, as text and decoded: questions of a
	// batch usually repeat their context, which is then decoded once and
	// shared.
	lastContextText string
	lastContext     map[string]contextValues
}

// body reads the whole body: one object, then only white space.
func (s *bodyScanner) body(in *authorizeBody) bool {
	var seen fieldSet
	ok := s.object(func(key string) bool {
		switch key {
		case "principal_arn":
			return seen.first(0) && s.str(&in.PrincipalARN)
		case "signed_request":
			if !seen.first(1) {
				return false
			}
			in.SignedRequest = new(signedRequest)
			return s.signedRequest(in.SignedRequest)
		case "requests":
			return seen.first(2) && s.requests(&in.Requests)
		}
		return s.question(&in.decisionRequest, &seen, key)
	})
	s.space()
	return ok && s.pos == len(s.data)
}

// question reads one field of a question.
func (s *bodyScanner) question(q *decisionRequest, seen *fieldSet, key string) bool {
	switch key {
	case "action":
		return seen.first(3) && s.str(&q.Action)
	case "resource":
		return seen.first(4) && s.str(&q.Resource)
	case "resource_account":
		return seen.first(5) && s.str(&q.ResourceAccount)
	case "context":
		return seen.first(6) && s.context(&q.Context)
	}
	return false
}

// requests reads the list of a batch's questions.
func (s *bodyScanner) requests(out *[]decisionRequest) bool {
	if !s.next('[') {
		return false
	}
	// Each question is an object: the number of opening braces (counted
	// fast) bounds the list's length.
	list := make([]decisionRequest, 0, min(strings.Count(s.data[s.pos:], "{"), maxQuestions))
	if s.next(']') {
		*out = list
		return true
	}
	for {
		list = append(list, decisionRequest{})
		q := &list[len(list)-1]
		var seen fieldSet
		if !s.object(func(key string) bool { return s.question(q, &seen, key) }) {
			return false
		}
		if s.next(',') {
			continue
		}
		*out = list
		return s.next(']')
	}
}

// signedRequest reads an end user's signed request.
func (s *bodyScanner) signedRequest(sr *signedRequest) bool {
	var seen fieldSet
	return s.object(func(key string) bool {
		switch key {
		case "method":
			return seen.first(0) && s.str(&sr.Method)
		case "url":
			return seen.first(1) && s.str(&sr.URL)
		case "body":
			return seen.first(2) && s.str(&sr.Body)
		case "headers":
			if !seen.first(3) {
				return false
			}
			sr.Headers = map[string]string{}
			return s.object(func(name string) bool {
				var v string
				if !s.str(&v) {
					return false
				}
				sr.Headers[name] = v
				return true
			})
		}
		return false
	})
}

// context reads a question's context object; one equal in text to the
// previous question's is that question's map.
func (s *bodyScanner) context(out *map[string]contextValues) bool {
	s.space()
	start := s.pos
	if s.lastContext != nil && strings.HasPrefix(s.data[start:], s.lastContextText) {
		s.pos += len(s.lastContextText)
		*out = s.lastContext
		return true
	}
	ctx := map[string]contextValues{}
	if !s.object(func(key string) bool {
		v, ok := s.contextValue()
		ctx[key] = v
		return ok
	}) {
		return false
	}
	s.lastContextText, s.lastContext = s.data[start:s.pos], ctx
	*out = ctx
	return true
}

// contextValue reads one context key's value as contextValues.UnmarshalJSON
// does: a scalar, or a list of scalars.
func (s *bodyScanner) contextValue() (contextValues, bool) {
	if !s.next('[') {
		v, ok := s.scalar()
		return contextValues{v}, ok
	}
	vals := contextValues{}
	if s.next(']') {
		return vals, true
	}
	for {
		v, ok := s.scalar()
		if !ok {
			return nil, false
		}
		vals = append(vals, v)
		if s.next(',') {
			continue
		}
		return vals, s.next(']')
	}
}

// scalar reads a string, number or boolean as scalarJSON renders it.
func (s *bodyScanner) scalar() (string, bool) {
	s.space()
	if s.pos == len(s.data) {
		return "", false
	}
	switch c := s.data[s.pos]; {
	case c == '"':
		var v string
		return v, s.str(&v)
	case strings.HasPrefix(s.data[s.pos:], "true"):
		s.pos += len("true")
		return "true", true
	case strings.HasPrefix(s.data[s.pos:], "false"):
		s.pos += len("false")
		return "false", true
	case c == '-' || c >= '0' && c <= '9':
		return s.number()
	}
	return "", false
}

// number reads a JSON number and renders it as scalarJSON does.
func (s *bodyScanner) number() (string, bool) {
	start := s.pos
	if s.pos < len(s.data) && s.data[s.pos] == '-' {
		s.pos++
	}
	switch {
	case s.pos < len(s.data) && s.data[s.pos] == '0':
		s.pos++
	case s.digits() == 0:
		return "", false
	}
	if s.pos < len(s.data) && s.data[s.pos] == '.' {
		s.pos++
		if s.digits() == 0 {
			return "", false
		}
	}
	if s.pos < len(s.data) && (s.data[s.pos] == 'e' || s.data[s.pos] == 'E') {
		s.pos++
		if s.pos < len(s.data) && (s.data[s.pos] == '+' || s.data[s.pos] == '-') {
			s.pos++
		}
		if s.digits() == 0 {
			return "", false
		}
	}
	f, err := strconv.ParseFloat(s.data[start:s.pos], 64)
	if err != nil {
		return "", false
	}
	return strconv.FormatFloat(f, 'f', -1, 64), true
}

// digits skips decimal digits and says how many there were.
func (s *bodyScanner) digits() int {
	start := s.pos
	for s.pos < len(s.data) && s.data[s.pos] >= '0' && s.data[s.pos] <= '9' {
		s.pos++
	}
	return s.pos - start
}

// object reads an object, calling member with each key (which must be
// written without escapes) to read its value.
func (s *bodyScanner) object(member func(key string) bool) bool {
	if !s.next('{') {
		return false
	}
	if s.next('}') {
		return true
	}
	for {
		s.space()
		key, ok := s.plainString()
		if !ok || !s.next(':') || !member(key) {
			return false
		}
		if s.next(',') {
			continue
		}
		return s.next('}')
	}
}

// str reads a string into out.
func (s *bodyScanner) str(out *string) bool {
	s.space()
	if v, ok := s.plainString(); ok {
		*out = v
		return true
	}
	if s.pos == len(s.data) || s.data[s.pos] != '"' {
		return false
	}
	v, n, ok := unquote(s.data[s.pos:])
	s.pos += n
	*out = v
	return ok
}

// plainString reads a string without escapes, control characters or
// non-ASCII bytes, which is its own text.
func (s *bodyScanner) plainString() (string, bool) {
	d := s.data
	if s.pos == len(d) || d[s.pos] != '"' {
		return "", false
	}
	i := s.pos + 1
	for i+4 <= len(d) && plainText[d[i]] && plainText[d[i+1]] && plainText[d[i+2]] && plainText[d[i+3]] {
		i += 4
	}
	for i < len(d) && plainText[d[i]] {
		i++
	}
	if i == len(d) || d[i] != '"' {
		return "", false
	}
	v := d[s.pos+1 : i]
	s.pos = i + 1
	return v, true
}

// plainText marks the bytes a string read by plainString may hold: ASCII
// from the space up (DEL included) other than " and \.
var plainText = func() (t [256]bool) {
	for c := ' '; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// unquote reads the JSON string at the start of q as encoding/json decodes
// it (invalid UTF-8 and unpaired surrogates become U+FFFD), and says how
// many bytes it took.
func unquote(q string) (string, int, bool) {
	var b []byte
	for i := 1; i < len(q); {
		switch c := q[i]; {
		case c == '"':
			return string(b), i + 1, true
		case c < ' ':
			return "", 0, false
		case c == '\\':
			if i+1 == len(q) {
				return "", 0, false
			}
			switch e := q[i+1]; e {
			case '"', '\\', '/':
				b = append(b, e)
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			case 'u':
				r, ok := hex4(q[i+2:])
				if !ok {
					return "", 0, false
				}
				i += 6
				if utf16.IsSurrogate(r) {
					// A high surrogate pairs with a following \u escape;
					// anything else stands for U+FFFD.
					low, ok := rune(-1), false
					if strings.HasPrefix(q[i:], `\u`) {
						low, ok = hex4(q[i+2:])
					}
					if d := utf16.DecodeRune(r, low); ok && d != unicode.ReplacementChar {
						r = d
						i += 6
					} else {
						r = unicode.ReplacementChar
					}
				}
				b = utf8.AppendRune(b, r)
				continue
			default:
				return "", 0, false
			}
			i += 2
		case c < utf8.RuneSelf:
			b = append(b, c)
			i++
		default:
			r, size := utf8.DecodeRuneInString(q[i:])
			b = utf8.AppendRune(b, r)
			i += size
		}
	}
	return "", 0, false
}

// hex4 reads the four hexadecimal digits of a \u escape.
func hex4(s string) (rune, bool) {
	if len(s) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range []byte(s[:4]) {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// space skips white space.
func (s *bodyScanner) space() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// next consumes c, after white space, if it comes next.
func (s *bodyScanner) next(c byte) bool {
	s.space()
	if s.pos < len(s.data) && s.data[s.pos] == c {
		s.pos++
		return true
	}
	return false
}

// fieldSet tracks the fields an object has given, so that one given twice
// (which encoding/json merges) is left to encoding/json.
type fieldSet uint8

// first marks field n and reports whether it is its first time.
func (f *fieldSet) first(n uint) bool {
	if *f&(1<<n) != 0 {
		return false
	}
	*f |= 1 << n
	return true
}
