package catalog

import (
	"fmt"
	"strings"

	"github.com/gatehouse-iam/gatehouse/arn"
)

// arnMatcher is a compiled ARN format such as
// "arn:${Partition}:s3:::${BucketName}/${ObjectName}".
type arnMatcher struct {
	// head holds the partition, service, region and account segments as
	// globs, each placeholder turned into '*'.
	head [4]string
	// resource is the resource part, tokenized.
	resource []arnToken
}

// arnToken is one piece of a format's resource part.
type arnToken struct {
	kind tokenKind
	lit  string // the text of a literal
	// stop is a byte a placeholder's text may not contain: the first byte of
	// the literal that follows it, or '/' for a placeholder that is the whole
	// resource part (so "${BucketName}" is one component while
	// "user/${UserNameWithPath}" takes the rest); 0 for none.
	stop byte
}

type tokenKind uint8

const (
	tokLiteral tokenKind = iota
	tokPlaceholder
	tokStar // '*' in the format: any run, possibly empty
)

func compileARN(format string) (arnMatcher, error) {
	var m arnMatcher
	parts := strings.SplitN(format, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" {
		return m, fmt.Errorf("ARN format %q does not have six parts", format)
	}
	for i := range m.head {
		m.head[i] = placeholdersToStars(parts[i+1])
	}
	rest := parts[5]
	for rest != "" {
		switch {
		case strings.HasPrefix(rest, "${"):
			end := strings.IndexByte(rest, '}')
			if end < 0 {
				return m, fmt.Errorf("ARN format %q has an unclosed placeholder", format)
			}
			// Adjacent placeholders cannot be told apart: one stands for both.
			if n := len(m.resource); n == 0 || m.resource[n-1].kind != tokPlaceholder {
				m.resource = append(m.resource, arnToken{kind: tokPlaceholder})
			}
			rest = rest[end+1:]
		case rest[0] == '*':
			m.resource = append(m.resource, arnToken{kind: tokStar})
			rest = rest[1:]
		default:
			end := len(rest)
			if i := strings.IndexAny(rest, "*$"); i >= 0 {
				end = i
			}
			if end == 0 { // a lone '$' not opening a placeholder
				end = 1
			}
			lit := rest[:end]
			if n := len(m.resource); n > 0 && m.resource[n-1].kind == tokLiteral {
				m.resource[n-1].lit += lit
			} else {
				m.resource = append(m.resource, arnToken{kind: tokLiteral, lit: lit})
			}
			rest = rest[end:]
		}
	}
	for i := range m.resource {
		if m.resource[i].kind != tokPlaceholder {
			continue
		}
		switch {
		case i+1 < len(m.resource) && m.resource[i+1].kind == tokLiteral:
			m.resource[i].stop = m.resource[i+1].lit[0]
		case len(m.resource) == 1:
			m.resource[i].stop = '/'
		}
	}
	return m, nil
}

// placeholdersToStars rewrites each ${...} of a segment as '*'.
func placeholdersToStars(seg string) string {
	var b strings.Builder
	for {
		i := strings.Index(seg, "${")
		if i < 0 {
			break
		}
		end := strings.IndexByte(seg[i:], '}')
		if end < 0 {
			break
		}
		b.WriteString(seg[:i])
		b.WriteByte('*')
		seg = seg[i+end+1:]
	}
	b.WriteString(seg)
	return b.String()
}

// match reports whether s fits the format.
func (m *arnMatcher) match(s string) bool {
	rest, ok := strings.CutPrefix(s, "arn:")
	if !ok {
		return false
	}
	for _, g := range m.head {
		i := strings.IndexByte(rest, ':')
		if i < 0 || !arn.Glob(g, rest[:i], false) {
			return false
		}
		rest = rest[i+1:]
	}
	return matchTokens(m.resource, rest)
}

// matchTokens matches the resource part s against toks, backtracking only
// over stars and placeholders with no stop byte.
func matchTokens(toks []arnToken, s string) bool {
	if len(toks) == 0 {
		return s == ""
	}
	t := toks[0]
	switch t.kind {
	case tokLiteral:
		rest, ok := strings.CutPrefix(s, t.lit)
		return ok && matchTokens(toks[1:], rest)
	case tokPlaceholder:
		n := strings.IndexByte(s, t.stop)
		switch {
		case len(toks) == 1:
			return s != "" && (t.stop == 0 || n < 0)
		case t.stop != 0:
			// The placeholder runs to the first stop byte, where the
			// following literal must begin.
			return n > 0 && matchTokens(toks[1:], s[n:])
		}
		for n := 1; n <= len(s); n++ {
			if matchTokens(toks[1:], s[n:]) {
				return true
			}
		}
		return false
	default: // tokStar
		for n := 0; n <= len(s); n++ {
			if matchTokens(toks[1:], s[n:]) {
				return true
			}
		}
		return false
	}
}
