package policy

import (
	"strings"
	"unicode/utf8"

	"github.com/gatehouse-iam/gatehouse/arn"
)

// Lookup gives the values of condition context keys. Keys are passed in lower
// case. It is how statements see the request (and the principal-derived keys
// the engine fills in).
type Lookup interface {
	Lookup(lowerKey string) ([]string, bool)
}

// tokKind is a piece of a compiled pattern.
type tokKind uint8

const (
	tokLiteral tokKind = iota // text that must appear as is
	tokStar                   // '*': any run of characters
	tokOne                    // '?': exactly one character
	tokVar                    // a policy variable: its value must appear as is
)

type token struct {
	kind   tokKind
	text   string // literal text, or the variable's lower-cased key
	def    string // the variable's default value
	hasDef bool
}

// template is a string pattern that may contain policy variables and (for
// glob templates) wildcards, compiled once.
type template struct {
	raw    string
	toks   []token
	vars   bool // contains at least one variable
	wild   bool // contains '*' or '?' (glob templates only)
	varKey []string
}

// compileTemplate splits s into tokens. With vars set (policy version
// 2012-10-17), ${key} and ${key, 'default'} are variables and ${*} ${?} ${$}
// are the literal characters; with glob set, '*' and '?' are wildcards.
func compileTemplate(s string, vars, glob bool) template {
	t := template{raw: s}
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			t.toks = append(t.toks, token{kind: tokLiteral, text: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); {
		c := s[i]
		if vars && c == '$' && i+1 < len(s) && s[i+1] == '{' {
			if end := strings.IndexByte(s[i+2:], '}'); end >= 0 {
				body := s[i+2 : i+2+end]
				i += end + 3
				switch body {
				case "*", "?", "$":
					lit.WriteString(body)
					continue
				}
				flush()
				tok := token{kind: tokVar}
				key := body
				if comma := strings.IndexByte(body, ','); comma >= 0 {
					key = body[:comma]
					d := strings.TrimSpace(body[comma+1:])
					if len(d) >= 2 && d[0] == '\'' && d[len(d)-1] == '\'' {
						tok.def, tok.hasDef = d[1:len(d)-1], true
					}
				}
				tok.text = strings.ToLower(strings.TrimSpace(key))
				t.toks = append(t.toks, tok)
				t.vars = true
				t.varKey = append(t.varKey, tok.text)
				continue
			}
		}
		if glob && (c == '*' || c == '?') {
			flush()
			kind := tokStar
			if c == '?' {
				kind = tokOne
			}
			t.toks = append(t.toks, token{kind: kind})
			t.wild = true
			i++
			continue
		}
		lit.WriteByte(c)
		i++
	}
	flush()
	return t
}

// resolve returns the value of a variable token, or false when the request
// has no single value for it and no default is given.
func (tk *token) resolve(env Lookup) (string, bool) {
	if env != nil {
		if vs, ok := env.Lookup(tk.text); ok && len(vs) == 1 {
			return vs[0], true
		}
	}
	return tk.def, tk.hasDef
}

// match reports whether s matches the template. An unresolved variable makes
// the template match nothing. fold compares ASCII letters case-insensitively
// and, with ignoreCase, any letters (for StringEqualsIgnoreCase).
func (t *template) match(s string, env Lookup, fold bool) bool {
	toks := t.toks
	ti, i := 0, 0
	starT, starI := -1, 0
	for {
		if ti < len(toks) {
			tk := &toks[ti]
			switch tk.kind {
			case tokStar:
				starT, starI = ti, i
				ti++
				continue
			case tokOne:
				if i < len(s) {
					_, n := utf8.DecodeRuneInString(s[i:])
					i += n
					ti++
					continue
				}
			case tokLiteral:
				if hasPrefixFold(s[i:], tk.text, fold) {
					i += len(tk.text)
					ti++
					continue
				}
			case tokVar:
				v, ok := tk.resolve(env)
				if !ok {
					return false
				}
				if hasPrefixFold(s[i:], v, fold) {
					i += len(v)
					ti++
					continue
				}
			}
		} else if i == len(s) {
			return true
		}
		if starT < 0 || starI >= len(s) {
			return false
		}
		_, n := utf8.DecodeRuneInString(s[starI:])
		starI += n
		ti, i = starT+1, starI
	}
}

func hasPrefixFold(s, prefix string, fold bool) bool {
	if len(s) < len(prefix) {
		return false
	}
	if !fold {
		return s[:len(prefix)] == prefix
	}
	return strings.EqualFold(s[:len(prefix)], prefix)
}

// arnTemplate is an ARN pattern (Resource element, Arn* operators). Without
// variables it is matched with arn.Match directly; with variables, each of its
// six segments is a glob template.
type arnTemplate struct {
	raw  string
	vars bool
	segs []template // six segments when vars is set and raw is ARN-shaped
}

func compileARNTemplate(s string, vars bool) arnTemplate {
	t := arnTemplate{raw: s}
	if !vars || !strings.Contains(s, "${") {
		return t
	}
	// Variables, or ${*} ${?} ${$} escapes that stand for literal
	// characters: either way the pattern is matched token by token.
	t.vars = true
	parts := splitARNPattern(s)
	for _, p := range parts {
		t.segs = append(t.segs, compileTemplate(p, true, true))
	}
	return t
}

// splitARNPattern splits an ARN pattern into at most six parts at the colons
// that lie outside ${…} variables.
func splitARNPattern(s string) []string {
	var parts []string
	depth, start := 0, 0
	for i := 0; i < len(s) && len(parts) < 5; i++ {
		switch {
		case s[i] == '$' && i+1 < len(s) && s[i+1] == '{':
			depth++
		case s[i] == '}' && depth > 0:
			depth--
		case s[i] == ':' && depth == 0:
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	return append(parts, s[start:])
}

// match reports whether the ARN value matches the pattern.
func (t *arnTemplate) match(value string, env Lookup) bool {
	if !t.vars {
		return arn.Match(t.raw, value)
	}
	if len(t.segs) != 6 {
		if len(t.segs) == 1 {
			return t.segs[0].match(value, env, false)
		}
		return false
	}
	rest := value
	for i := 0; i < 5; i++ {
		j := strings.IndexByte(rest, ':')
		if j < 0 {
			return false
		}
		if !t.segs[i].match(rest[:j], env, false) {
			return false
		}
		rest = rest[j+1:]
	}
	return t.segs[5].match(rest, env, false)
}
