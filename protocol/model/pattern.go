package model

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf16"
)

// Pattern is a botocore pattern compiled for Go.
type Pattern struct {
	Text string           // the botocore (Java) text, as AWS shows it in messages
	all  []*regexp.Regexp // a value matches when it matches every one
}

// Match reports whether the whole of v matches the pattern.
func (p *Pattern) Match(v string) bool {
	for _, re := range p.all {
		if !re.MatchString(v) {
			return false
		}
	}
	return true
}

// lookaround holds RE2 equivalents of the botocore patterns that use Java
// look-around, which RE2 lacks: a value matches when it matches all of them.
var lookaround = map[string][]string{
	// IAM account alias: 3–63 of [a-z0-9-], alphanumeric at both ends, no "--".
	`^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$`: {`^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$`, `^(?:[^-]|-[^-])*-?$`},
}

// CompilePattern translates a botocore pattern (Java regular-expression
// syntax, matched against the whole value as Java's matches() does) into Go
// regexps anchored at both ends.
//
// Translated: \uXXXX escapes (including surrogate pairs written as two
// escapes and the five- and six-digit forms such as \u10FFFF that IAM's
// models use for supplementary planes). \p{..}, \w, \d and \s mean the same
// in both dialects. Look-around, which RE2 lacks, is supported for the
// patterns listed in lookaround; any other construct RE2 lacks makes
// CompilePattern return an error.
func CompilePattern(pattern string) (*Pattern, error) {
	p := &Pattern{Text: pattern}
	if eq, ok := lookaround[pattern]; ok {
		for _, e := range eq {
			p.all = append(p.all, regexp.MustCompile(e))
		}
		return p, nil
	}
	goPat, err := translate(pattern)
	if err != nil {
		return nil, err
	}
	re, err := regexp.Compile(`^(?:` + goPat + `)$`)
	if err != nil {
		return nil, fmt.Errorf("model: pattern %q: %w", pattern, err)
	}
	p.all = []*regexp.Regexp{re}
	return p, nil
}

func translate(p string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c != '\\' || i+1 >= len(p) {
			b.WriteByte(c)
			continue
		}
		if p[i+1] != 'u' {
			b.WriteByte(c)
			b.WriteByte(p[i+1])
			i++
			continue
		}
		r, n, ok := unicodeEscape(p[i:])
		if !ok {
			return "", fmt.Errorf("model: pattern %q: bad \\u escape at %d", p, i)
		}
		i += n - 1
		if utf16.IsSurrogate(r) {
			// A high surrogate followed by a low one is one supplementary code point.
			r2, n2, ok2 := unicodeEscape(p[i+1:])
			if !ok2 {
				return "", fmt.Errorf("model: pattern %q: lone surrogate at %d", p, i)
			}
			r = utf16.DecodeRune(r, r2)
			i += n2
		}
		fmt.Fprintf(&b, `\x{%X}`, r)
	}
	return b.String(), nil
}

// unicodeEscape parses a \uXXXX escape at the start of s, returning the rune
// and the bytes consumed. Four hex digits are the Java form; up to six are
// taken when they name a supplementary code point (\u10000, \u10FFFF), as
// botocore's models write them.
func unicodeEscape(s string) (rune, int, bool) {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return 0, 0, false
	}
	v, err := strconv.ParseUint(s[2:6], 16, 32)
	if err != nil {
		return 0, 0, false
	}
	n := 6
	for k := 7; k <= 8 && k <= len(s); k++ {
		w, err := strconv.ParseUint(s[2:k], 16, 32)
		if err != nil || w > 0x10FFFF {
			break
		}
		if w > 0xFFFF {
			v, n = w, k
		}
	}
	return rune(v), n, true
}
