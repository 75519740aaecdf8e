// Package jsontext writes JSON text by appending to byte slices, for the
// encoders that build fixed shapes by hand (audit events, decision API
// answers) and must write exactly what encoding/json writes.
package jsontext

import (
	"unicode/utf8"
	"unsafe"
)

// AppendString appends s as a JSON string as encoding/json writes it by
// default: " and \ escaped, \b \f \n \r \t by name and other control
// characters as \u00XX, <, > and & escaped for HTML, U+2028 and U+2029
// escaped, and each byte of invalid UTF-8 replaced by \ufffd.
//
// Runs of bytes that need no escaping, the common case, are found with a
// 256-entry table, four bytes per step, and copied with one append.
func AppendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if plain[c] {
			i = plainRun(s, i+1)
			continue
		}
		if c < utf8.RuneSelf {
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

// AppendBytes appends the text s as a JSON string, as AppendString does.
// s must not share memory with b's spare capacity.
func AppendBytes(b, s []byte) []byte {
	// The string view of s lives only for the call, which does not change s.
	return AppendString(b, unsafe.String(unsafe.SliceData(s), len(s)))
}

// plainRun returns the index of the first byte of s from i on that is not
// plain (len(s) if none), testing four bytes per step while they are.
func plainRun(s string, i int) int {
	for i+4 <= len(s) && plain[s[i]] && plain[s[i+1]] && plain[s[i+2]] && plain[s[i+3]] {
		i += 4
	}
	for i < len(s) && plain[s[i]] {
		i++
	}
	return i
}

// plain marks the bytes that AppendString copies as they are: the ASCII
// ones from the space up, DEL included, other than ", \, <, > and & (as
// encoding/json's htmlSafeSet). Bytes from 0x80 up are not plain: they
// start or continue multi-byte sequences, decoded one by one.
var plain = func() (t [256]bool) {
	for c := ' '; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()
