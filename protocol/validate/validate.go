// Package validate checks a decoded request against its input shape the way
// AWS's front ends do — required members, lengths, patterns, enums, ranges —
// and words the failures as AWS does:
//
//	1 validation error detected: Value null at 'userName' failed to satisfy constraint: Member must not be null
//
// Decoders also use Violation for values of the wrong type, so one request's
// problems are reported together.
package validate

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gatehouse-iam/gatehouse/protocol/model"
)

// Step is one step of a path from the input structure to a value: a
// structure member, a list element (1-based, as AWS counts) or a map key.
type Step struct {
	Member string // structure member name, as in the model
	Index  int    // list element, 1-based; 0 when not a list step
	Key    string // map key, when Member is "" and Index is 0
}

// Path is the way from the input structure to a value.
type Path []Step

// Child returns p extended by one step (p itself is not modified).
func (p Path) Child(s Step) Path {
	out := make(Path, len(p), len(p)+1)
	copy(out, p)
	return append(out, s)
}

// String renders the path as AWS does: member names with a lower-case
// first letter, list elements as "N.member", e.g. "tags.1.member.key".
func (p Path) String() string {
	var b strings.Builder
	for i, s := range p {
		if i > 0 {
			b.WriteByte('.')
		}
		switch {
		case s.Member != "":
			b.WriteString(lowerFirst(s.Member))
		case s.Index > 0:
			b.WriteString(strconv.Itoa(s.Index))
			b.WriteString(".member")
		default:
			b.WriteString(s.Key)
		}
	}
	return b.String()
}

func lowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if r >= 'A' && r <= 'Z' {
		return string(r+'a'-'A') + s[n:]
	}
	return s
}

// Kind classifies a violation, for protocols that report a reason code
// rather than a sentence (Organizations' InvalidInputException).
type Kind int

// Violation kinds.
const (
	Required Kind = iota
	MinLength
	MaxLength
	MinValue
	MaxValue
	Pattern
	Enum
	Type // a value of the wrong type, found by a decoder
)

// Violation is one failed constraint.
type Violation struct {
	Path       Path
	Value      any  // the offending value; nil for a missing member
	Sensitive  bool // the value must not be echoed
	Kind       Kind
	Constraint string // e.g. "Member must not be null"
}

// String renders the violation as AWS does.
func (v Violation) String() string {
	val := "Value null"
	switch {
	case v.Sensitive:
		val = "Value"
	case v.Value != nil:
		val = "Value '" + render(v.Value) + "'"
	}
	return val + " at '" + v.Path.String() + "' failed to satisfy constraint: " + v.Constraint
}

// Message joins violations into AWS's message: "1 validation error
// detected: …" or "N validation errors detected: …; …".
func Message(vs []Violation) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = v.String()
	}
	noun := "errors"
	if len(vs) == 1 {
		noun = "error"
	}
	return fmt.Sprintf("%d validation %s detected: %s", len(vs), noun, strings.Join(parts, "; "))
}

// render formats a value the way AWS's (Java) front end prints it.
func render(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case time.Time:
		return x.UTC().Format(time.RFC3339)
	case []byte:
		return "java.nio.HeapByteBuffer[pos=0 lim=" + strconv.Itoa(len(x)) + " cap=" + strconv.Itoa(len(x)) + "]"
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = render(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		keys := sortedKeys(x)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + "=" + render(x[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return fmt.Sprint(v)
}

// Input validates a decoded input structure against shape.
func Input(shape *model.Shape, params map[string]any) []Violation {
	if shape == nil {
		return nil
	}
	var vs []Violation
	structure(shape, params, nil, &vs)
	return vs
}

func structure(s *model.Shape, v map[string]any, path Path, vs *[]Violation) {
	for _, m := range s.Members {
		p := path.Child(Step{Member: m.Name})
		x, ok := v[m.Name]
		if !ok || x == nil {
			if m.Required {
				*vs = append(*vs, Violation{Path: p, Kind: Required, Constraint: "Member must not be null"})
			}
			continue
		}
		value(m.Shape, x, p, vs)
	}
}

func value(s *model.Shape, v any, path Path, vs *[]Violation) {
	add := func(k Kind, c string) {
		*vs = append(*vs, Violation{Path: path, Value: v, Sensitive: s.Sensitive, Kind: k, Constraint: c})
	}
	switch x := v.(type) {
	case string:
		length(s, utf16Len(x), add)
		if s.Compiled != nil && !s.Compiled.Match(x) {
			add(Pattern, "Member must satisfy regular expression pattern: "+s.Pattern)
		}
		if len(s.Enum) > 0 && !slices.Contains(s.Enum, x) {
			add(Enum, "Member must satisfy enum value set: ["+strings.Join(s.Enum, ", ")+"]")
		}
	case []byte:
		length(s, int64(len(x)), add)
	case int64:
		if s.Min != nil && x < *s.Min {
			add(MinValue, fmt.Sprintf("Member must have value greater than or equal to %d", *s.Min))
		}
		if s.Max != nil && x > *s.Max {
			add(MaxValue, fmt.Sprintf("Member must have value less than or equal to %d", *s.Max))
		}
	case float64:
		if s.Min != nil && x < float64(*s.Min) {
			add(MinValue, fmt.Sprintf("Member must have value greater than or equal to %d", *s.Min))
		}
		if s.Max != nil && x > float64(*s.Max) {
			add(MaxValue, fmt.Sprintf("Member must have value less than or equal to %d", *s.Max))
		}
	case []any:
		length(s, int64(len(x)), add)
		if s.Member != nil {
			for i, e := range x {
				p := path.Child(Step{Index: i + 1})
				if e == nil {
					*vs = append(*vs, Violation{Path: p, Kind: Required, Constraint: "Member must not be null"})
					continue
				}
				value(s.Member.Shape, e, p, vs)
			}
		}
	case map[string]any:
		if s.Type == model.Structure {
			structure(s, x, path, vs)
			return
		}
		length(s, int64(len(x)), add)
		if s.Key != nil && s.Value != nil {
			for _, k := range sortedKeys(x) {
				p := path.Child(Step{Key: k})
				value(s.Key.Shape, k, p, vs)
				if x[k] != nil {
					value(s.Value.Shape, x[k], p, vs)
				}
			}
		}
	}
}

// utf16Len is a string's length as AWS's (Java) front ends count it: in
// UTF-16 code units, so a character outside the Basic Multilingual Plane
// counts twice.
func utf16Len(s string) int64 {
	var n int64
	for _, r := range s {
		n++
		if r > 0xFFFF {
			n++
		}
	}
	return n
}

func length(s *model.Shape, n int64, add func(Kind, string)) {
	if s.Min != nil && n < *s.Min {
		add(MinLength, fmt.Sprintf("Member must have length greater than or equal to %d", *s.Min))
	}
	if s.Max != nil && n > *s.Max {
		add(MaxLength, fmt.Sprintf("Member must have length less than or equal to %d", *s.Max))
	}
}

func sortedKeys(m map[string]any) []string { return slices.Sorted(maps.Keys(m)) }
