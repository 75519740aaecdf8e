package policy

import (
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// Position is a place in a policy document: a byte offset and the 1-based line
// and column (in characters) that a person reading the document sees.
type Position struct {
	Offset int `json:"offset"`
	Line   int `json:"line"`
	Column int `json:"column"`
}

// jsonKind is the type of a JSON value.
type jsonKind uint8

const (
	jsonNull jsonKind = iota
	jsonBool
	jsonNumber
	jsonString
	jsonArray
	jsonObject
)

// jsonValue is a parsed JSON value with the span it occupies in the source.
// The policy grammar needs positions (for error messages and the simulator's
// statement spans) and the members of objects in source order (to reject
// repeated keys), neither of which encoding/json offers.
type jsonValue struct {
	kind    jsonKind
	text    string // string contents, or the literal text of a number
	boolean bool
	members []jsonMember // for objects, in source order
	elems   []*jsonValue // for arrays
	start   Position     // first character of the value
	end     Position     // just past its last character
}

type jsonMember struct {
	key    string
	keyPos Position
	value  *jsonValue
}

// maxJSONDepth bounds nesting so that a hostile document cannot exhaust the stack.
const maxJSONDepth = 32

// jsonParser is a strict RFC 8259 parser that records positions.
type jsonParser struct {
	src        string
	off        int
	line, col  int // of src[off]
	errMessage string
	errPos     Position
}

// parseJSON parses src as one JSON value. On error it returns nil and a
// description with the position of the offending character.
func parseJSON(src string) (*jsonValue, string, Position) {
	p := &jsonParser{src: src, line: 1, col: 1}
	p.skipSpace()
	v := p.value(0)
	if v != nil {
		p.skipSpace()
		if p.off < len(p.src) {
			p.fail("unexpected content after the document")
			v = nil
		}
	}
	if v == nil {
		return nil, p.errMessage, p.errPos
	}
	return v, "", Position{}
}

func (p *jsonParser) pos() Position { return Position{Offset: p.off, Line: p.line, Column: p.col} }

func (p *jsonParser) fail(msg string) {
	if p.errMessage == "" {
		p.errMessage, p.errPos = msg, p.pos()
	}
}

// advance moves past n bytes that contain no newline.
func (p *jsonParser) advance(n int) {
	for i := 0; i < n && p.off < len(p.src); {
		_, size := utf8.DecodeRuneInString(p.src[p.off:])
		p.off += size
		i += size
		p.col++
	}
}

func (p *jsonParser) skipSpace() {
	for p.off < len(p.src) {
		switch p.src[p.off] {
		case '\n':
			p.off++
			p.line++
			p.col = 1
		case ' ', '\t', '\r':
			p.off++
			p.col++
		default:
			return
		}
	}
}

func (p *jsonParser) value(depth int) *jsonValue {
	if depth > maxJSONDepth {
		p.fail("nesting too deep")
		return nil
	}
	if p.off >= len(p.src) {
		p.fail("unexpected end of document")
		return nil
	}
	start := p.pos()
	switch c := p.src[p.off]; {
	case c == '{':
		return p.object(start, depth)
	case c == '[':
		return p.array(start, depth)
	case c == '"':
		s, ok := p.str()
		if !ok {
			return nil
		}
		return &jsonValue{kind: jsonString, text: s, start: start, end: p.pos()}
	case c == 't' || c == 'f' || c == 'n':
		for _, lit := range [...]string{"true", "false", "null"} {
			if len(p.src)-p.off >= len(lit) && p.src[p.off:p.off+len(lit)] == lit {
				p.advance(len(lit))
				v := &jsonValue{kind: jsonBool, boolean: lit == "true", text: lit, start: start, end: p.pos()}
				if lit == "null" {
					v.kind = jsonNull
				}
				return v
			}
		}
		p.fail("invalid literal")
		return nil
	case c == '-' || ('0' <= c && c <= '9'):
		return p.number(start)
	default:
		p.fail("unexpected character " + strconv.QuoteRune(rune(c)))
		return nil
	}
}

func (p *jsonParser) object(start Position, depth int) *jsonValue {
	v := &jsonValue{kind: jsonObject, start: start}
	p.advance(1)
	p.skipSpace()
	if p.off < len(p.src) && p.src[p.off] == '}' {
		p.advance(1)
		v.end = p.pos()
		return v
	}
	for {
		p.skipSpace()
		if p.off >= len(p.src) || p.src[p.off] != '"' {
			p.fail("expected a quoted member name")
			return nil
		}
		keyPos := p.pos()
		key, ok := p.str()
		if !ok {
			return nil
		}
		p.skipSpace()
		if p.off >= len(p.src) || p.src[p.off] != ':' {
			p.fail("expected ':' after member name")
			return nil
		}
		p.advance(1)
		p.skipSpace()
		val := p.value(depth + 1)
		if val == nil {
			return nil
		}
		v.members = append(v.members, jsonMember{key: key, keyPos: keyPos, value: val})
		p.skipSpace()
		if p.off >= len(p.src) {
			p.fail("unexpected end of document in object")
			return nil
		}
		switch p.src[p.off] {
		case ',':
			p.advance(1)
		case '}':
			p.advance(1)
			v.end = p.pos()
			return v
		default:
			p.fail("expected ',' or '}' in object")
			return nil
		}
	}
}

func (p *jsonParser) array(start Position, depth int) *jsonValue {
	v := &jsonValue{kind: jsonArray, start: start}
	p.advance(1)
	p.skipSpace()
	if p.off < len(p.src) && p.src[p.off] == ']' {
		p.advance(1)
		v.end = p.pos()
		return v
	}
	for {
		p.skipSpace()
		el := p.value(depth + 1)
		if el == nil {
			return nil
		}
		v.elems = append(v.elems, el)
		p.skipSpace()
		if p.off >= len(p.src) {
			p.fail("unexpected end of document in array")
			return nil
		}
		switch p.src[p.off] {
		case ',':
			p.advance(1)
		case ']':
			p.advance(1)
			v.end = p.pos()
			return v
		default:
			p.fail("expected ',' or ']' in array")
			return nil
		}
	}
}

func (p *jsonParser) number(start Position) *jsonValue {
	i := p.off
	if p.src[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(p.src) && '0' <= p.src[i] && p.src[i] <= '9' {
			i++
			n++
		}
		return n
	}
	intStart := i
	if digits() == 0 {
		p.fail("invalid number")
		return nil
	}
	if p.src[intStart] == '0' && i-intStart > 1 {
		p.fail("invalid number: leading zero")
		return nil
	}
	if i < len(p.src) && p.src[i] == '.' {
		i++
		if digits() == 0 {
			p.fail("invalid number")
			return nil
		}
	}
	if i < len(p.src) && (p.src[i] == 'e' || p.src[i] == 'E') {
		i++
		if i < len(p.src) && (p.src[i] == '+' || p.src[i] == '-') {
			i++
		}
		if digits() == 0 {
			p.fail("invalid number")
			return nil
		}
	}
	text := p.src[p.off:i]
	p.advance(i - p.off)
	return &jsonValue{kind: jsonNumber, text: text, start: start, end: p.pos()}
}

// str parses a quoted string at p.off.
func (p *jsonParser) str() (string, bool) {
	p.advance(1) // opening quote
	var buf []byte
	runStart := p.off
	for {
		if p.off >= len(p.src) {
			p.fail("unterminated string")
			return "", false
		}
		c := p.src[p.off]
		switch {
		case c == '"':
			s := p.src[runStart:p.off]
			if buf != nil {
				s = string(append(buf, s...))
			}
			p.advance(1)
			return s, true
		case c < 0x20:
			p.fail("control character in string")
			return "", false
		case c == '\\':
			buf = append(buf, p.src[runStart:p.off]...)
			if !p.escape(&buf) {
				return "", false
			}
			runStart = p.off
		case c < utf8.RuneSelf:
			p.off++
			p.col++
		default:
			r, size := utf8.DecodeRuneInString(p.src[p.off:])
			if r == utf8.RuneError && size == 1 {
				p.fail("invalid UTF-8 in string")
				return "", false
			}
			p.off += size
			p.col++
		}
	}
}

// simpleEscapes maps the character after a backslash to the byte it stands for.
var simpleEscapes = [256]byte{'"': '"', '\\': '\\', '/': '/', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t'}

// escape decodes the escape sequence at p.off into buf.
func (p *jsonParser) escape(buf *[]byte) bool {
	if p.off+1 >= len(p.src) {
		p.fail("unterminated escape")
		return false
	}
	c := p.src[p.off+1]
	if r := simpleEscapes[c]; r != 0 {
		*buf = append(*buf, r)
		p.advance(2)
		return true
	}
	if c != 'u' {
		p.fail("invalid escape")
		return false
	}
	r, ok := p.hex4(p.off + 2)
	if !ok {
		return false
	}
	p.advance(6)
	if utf16.IsSurrogate(r) {
		if p.off+1 < len(p.src) && p.src[p.off] == '\\' && p.src[p.off+1] == 'u' {
			if r2, ok := p.hex4(p.off + 2); ok {
				if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
					p.advance(6)
					*buf = utf8.AppendRune(*buf, d)
					return true
				}
			}
		}
		r = utf8.RuneError
	}
	*buf = utf8.AppendRune(*buf, r)
	return true
}

func (p *jsonParser) hex4(i int) (rune, bool) {
	if i+4 > len(p.src) {
		p.fail("invalid \\u escape")
		return 0, false
	}
	n, err := strconv.ParseUint(p.src[i:i+4], 16, 32)
	if err != nil {
		p.fail("invalid \\u escape")
		return 0, false
	}
	return rune(n), true
}
