package arn

import "unicode/utf8"

// Expands reports whether pattern has a '*' that ends one of the first five
// segments, or ends a pattern of fewer than six segments. Such a '*' may
// match across colons in a Resource element: AWS documents that "if the *
// wildcard is the last character of a resource ARN segment, it can expand to
// match beyond the colon boundaries" (IAM User Guide,
// reference_policies_elements_resource).
func Expands(pattern string) bool {
	colons := 0
	for i := 0; i < len(pattern) && colons < 5; i++ {
		switch pattern[i] {
		case ':':
			colons++
		case '*':
			if i+1 == len(pattern) || pattern[i+1] == ':' {
				return true
			}
		}
	}
	return false
}

// MatchExpanding matches a Resource pattern whose segment-final '*'s may
// cross colons (see Expands). Other '*'s and '?'s stay inside their segment
// until the pattern's resource part (after its fifth colon), where they
// match anything. Matching is case-sensitive. It runs in
// O(len(pattern)·len(value)) time.
func MatchExpanding(pattern, value string) bool {
	// reach[j] is true when the pattern consumed so far can match value[:j].
	reach := make([]bool, len(value)+1)
	next := make([]bool, len(value)+1)
	reach[0] = true
	colons := 0
	for i := 0; i < len(pattern); {
		c := pattern[i]
		inResource := colons >= 5
		clear(next)
		switch c {
		case '*':
			expanding := inResource || i+1 == len(pattern) || pattern[i+1] == ':'
			on := false
			for j := 0; j <= len(value); j++ {
				if reach[j] {
					on = true
				}
				next[j] = on
				if on && j < len(value) && value[j] == ':' && !expanding {
					on = false
				}
			}
			i++
		case '?':
			_, size := utf8.DecodeRuneInString(pattern[i:])
			for j := 0; j < len(value); j++ {
				if !reach[j] {
					continue
				}
				_, vs := utf8.DecodeRuneInString(value[j:])
				if value[j] != ':' || inResource {
					next[j+vs] = true
				}
			}
			i += size
		default:
			for j := 0; j < len(value); j++ {
				if reach[j] && value[j] == c {
					next[j+1] = true
				}
			}
			if c == ':' {
				colons++
			}
			i++
		}
		reach, next = next, reach
	}
	return reach[len(value)]
}
