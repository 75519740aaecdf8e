package arn

import (
	"strings"
	"unicode/utf8"
)

// Match reports whether value matches pattern. Both are compared segment by
// segment when both are ARNs; '*' matches any run of characters and '?' exactly
// one character, within a segment, and the resource part (everything after the
// fifth colon) is a single segment. A pattern of "*" matches everything. When
// pattern or value is not an ARN, the whole strings are compared as one glob.
// Matching is case-sensitive and allocation-free.
func Match(pattern, value string) bool {
	if pattern == "*" || pattern == value {
		return true
	}
	pARN, vARN := hasSixParts(pattern), hasSixParts(value)
	if !pARN || !vARN {
		if pARN || strings.HasPrefix(pattern, "arn:") {
			// An ARN pattern never matches a non-ARN, and a truncated
			// ARN pattern matches nothing.
			return false
		}
		// Neither is an ARN: compare as a single glob.
		return Glob(pattern, value, false)
	}
	pRest, vRest := pattern, value
	for i := 0; i < 5; i++ {
		pi := strings.IndexByte(pRest, ':')
		vi := strings.IndexByte(vRest, ':')
		if !Glob(pRest[:pi], vRest[:vi], false) {
			return false
		}
		pRest, vRest = pRest[pi+1:], vRest[vi+1:]
	}
	return Glob(pRest, vRest, false)
}

// hasSixParts reports whether s has at least five colons.
func hasSixParts(s string) bool {
	n := 0
	for i := 0; i < len(s) && n < 5; i++ {
		if s[i] == ':' {
			n++
		}
	}
	return n == 5
}

// Glob reports whether s matches pattern, where '*' matches any run of
// characters (including none) and '?' exactly one character. With fold set,
// ASCII letters compare case-insensitively (as AWS compares action names).
// It runs in O(len(pattern)·len(s)) time at worst, linear in practice, and never
// allocates.
func Glob(pattern, s string, fold bool) bool {
	p, i := 0, 0
	starP, starI := -1, 0
	for i < len(s) {
		if p < len(pattern) {
			switch c := pattern[p]; c {
			case '*':
				starP, starI = p, i
				p++
				continue
			case '?':
				_, n := utf8.DecodeRuneInString(s[i:])
				p++
				i += n
				continue
			default:
				if eqByte(c, s[i], fold) {
					p++
					i++
					continue
				}
			}
		}
		if starP < 0 {
			return false
		}
		// Backtrack: let the last star swallow one more character.
		_, n := utf8.DecodeRuneInString(s[starI:])
		starI += n
		p, i = starP+1, starI
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

func eqByte(a, b byte, fold bool) bool {
	if a == b {
		return true
	}
	if !fold {
		return false
	}
	return lower(a) == lower(b)
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// HasWildcard reports whether s contains '*' or '?'.
func HasWildcard(s string) bool {
	return strings.ContainsAny(s, "*?")
}
