package server

import (
	"slices"
	"strconv"
	"sync"
	"unicode/utf8"

	"github.com/gatehouse-iam/gatehouse/evaldoc"
	"github.com/gatehouse-iam/gatehouse/policy"
)

// The decision API's answers, written byte for byte as encoding/json writes
// singleAnswer and batchAnswer (HTML-safe strings, omitempty fields left
// out), without reflection.

// encodedAnswer is an answer encoded as JSON, with the trailing newline
// json.Encoder writes, in a buffer from answerBuffers.
type encodedAnswer struct{ buf *[]byte }

// answerBuffers recycles the buffers answers are encoded in (a batch's
// answer is tens of kilobytes).
var answerBuffers = sync.Pool{New: func() any { return new([]byte) }}

// maxPooledAnswer is the largest buffer kept for reuse; those of rarer,
// larger answers are left to the garbage collector.
const maxPooledAnswer = 1 << 20

// newAnswerBuffer returns an empty buffer with room for at least n bytes.
func newAnswerBuffer(n int) *[]byte {
	p := answerBuffers.Get().(*[]byte)
	*p = slices.Grow((*p)[:0], n)
	return p
}

// release hands the answer's buffer back for reuse, once it is written.
func (a encodedAnswer) release() {
	if cap(*a.buf) <= maxPooledAnswer {
		answerBuffers.Put(a.buf)
	}
}

// appendPrincipal appends {"principal":{…} — the answer's opening.
func appendPrincipal(b []byte, p answerPrincipal) []byte {
	b = append(b, `{"principal":{"arn":`...)
	b = appendString(b, p.ARN)
	b = append(b, `,"account":`...)
	b = appendString(b, p.Account)
	b = append(b, `,"type":`...)
	b = appendString(b, p.Type)
	return append(b, '}')
}

// appendResultFields appends a result's fields, without braces.
func appendResultFields(b []byte, r *evaldoc.Result) []byte {
	b = append(b, `"decision":`...)
	b = appendString(b, r.Decision)
	b = append(b, `,"reason":`...)
	b = appendString(b, r.Reason)
	if r.Detail != "" {
		b = append(b, `,"detail":`...)
		b = appendString(b, r.Detail)
	}
	if r.Message != "" {
		b = append(b, `,"message":`...)
		b = appendString(b, r.Message)
	}
	b = append(b, `,"decided_by":`...)
	b = appendString(b, r.DecidedBy)
	if r.Level != "" {
		b = append(b, `,"level":`...)
		b = appendString(b, r.Level)
	}
	b = append(b, `,"matched_statements":`...)
	if r.Statements == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range r.Statements {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendStatement(b, &r.Statements[i])
		}
		b = append(b, ']')
	}
	b = append(b, `,"missing_context_keys":`...)
	if r.MissingKeys == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, k := range r.MissingKeys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
	}
	return append(b, ']')
}

// appendStatement appends a matched statement.
func appendStatement(b []byte, s *evaldoc.Statement) []byte {
	b = append(b, `{"policy_type":`...)
	b = appendString(b, s.PolicyType)
	b = append(b, `,"policy_id":`...)
	b = appendString(b, s.PolicyID)
	if s.Level != "" {
		b = append(b, `,"level":`...)
		b = appendString(b, s.Level)
	}
	b = append(b, `,"index":`...)
	b = strconv.AppendInt(b, int64(s.Index), 10)
	if s.Sid != "" {
		b = append(b, `,"sid":`...)
		b = appendString(b, s.Sid)
	}
	b = append(b, `,"effect":`...)
	b = appendString(b, s.Effect)
	b = append(b, `,"start":`...)
	b = appendPosition(b, s.Start)
	b = append(b, `,"end":`...)
	b = appendPosition(b, s.End)
	return append(b, '}')
}

// appendPosition appends a position in a policy document.
func appendPosition(b []byte, p policy.Position) []byte {
	b = append(b, `{"offset":`...)
	b = strconv.AppendInt(b, int64(p.Offset), 10)
	b = append(b, `,"line":`...)
	b = strconv.AppendInt(b, int64(p.Line), 10)
	b = append(b, `,"column":`...)
	b = strconv.AppendInt(b, int64(p.Column), 10)
	return append(b, '}')
}

// plainASCII marks the ASCII characters a JSON string holds as they are.
var plainASCII = func() (t [utf8.RuneSelf]bool) {
	for c := ' '; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// appendString appends s as a JSON string as encoding/json writes it by
// default: <, > and & escaped for HTML, invalid UTF-8 as U+FFFD, U+2028
// and U+2029 escaped.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if plainASCII[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
