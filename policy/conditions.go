package policy

import (
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// compiledCondition is one condition key test ready to evaluate.
type compiledCondition struct {
	op     Operator
	key    string // lower case
	values []condValue
	src    *Condition
}

// condValue is one policy value, pre-parsed for its operator's family.
type condValue struct {
	tmpl   template    // String and Bool operators (may hold variables)
	arn    arnTemplate // Arn operators
	num    float64     // Numeric
	date   time.Time   // Date
	prefix netip.Prefix
	valid  bool // the value parsed for its family; an invalid one matches nothing
}

func compileCondition(c *Condition, vars bool) compiledCondition {
	op, _ := ParseOperator(c.Operator) // checked by the parser
	cc := compiledCondition{op: op, key: strings.ToLower(c.Key), src: c}
	vars = vars && op.allowsVariables()
	for _, raw := range c.Values {
		v := condValue{valid: true}
		switch operators[op.kind].family {
		case famString:
			glob := op.kind == opStringLike || op.kind == opStringNotLike
			v.tmpl = compileTemplate(raw, vars, glob)
		case famBool, famBinary, famNull:
			v.tmpl = compileTemplate(raw, vars, false)
		case famARN:
			v.arn = compileARNTemplate(raw, vars)
		case famNumeric:
			v.num, v.valid = parseNumber(raw)
		case famDate:
			v.date, v.valid = parseDate(raw)
		case famIP:
			v.prefix, v.valid = parsePrefix(raw)
		}
		cc.values = append(cc.values, v)
	}
	return cc
}

// parseNumber reads an integer or decimal number (an exponent is allowed, as
// in JSON). It refuses what strconv.ParseFloat accepts beyond that — NaN,
// Inf, hexadecimal, underscores — so that a request value such as "NaN",
// which compares neither less nor greater than anything, cannot satisfy
// NumericEquals or NumericLessThanEquals for every policy value.
func parseNumber(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case '0' <= c && c <= '9', c == '.', c == '+', c == '-', c == 'e', c == 'E':
		default:
			return 0, false
		}
	}
	n, err := strconv.ParseFloat(s, 64)
	return n, err == nil
}

// parseDate accepts the ISO 8601 forms AWS accepts and epoch seconds. It
// returns a time.Time rather than nanoseconds since the epoch, which overflow
// outside the years 1678–2262 (and "9999-12-31T23:59:59Z" is a common
// far-future bound).
func parseDate(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false
	}
	if isDigits(s) {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n > 1<<40 {
			return time.Time{}, false
		}
		return time.Unix(n, 0), true
	}
	for _, layout := range dateLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

var dateLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04Z",
	"2006-01-02T15:04:05",
	"2006-01-02",
	"20060102T150405Z",
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// parsePrefix accepts a CIDR block or a bare address (a /32 or /128).
func parsePrefix(s string) (netip.Prefix, bool) {
	s = strings.TrimSpace(s)
	if strings.IndexByte(s, '/') >= 0 {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, false
		}
		return netip.PrefixFrom(p.Addr().Unmap(), p.Bits()).Masked(), true
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, false
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), true
}

// eval evaluates the condition against the request. A nil env has no keys
// (as for variables, see token.resolve). When tr is not nil, a missing key is
// recorded there.
func (c *compiledCondition) eval(env Lookup, tr *Trace) bool {
	var vals []string
	ok := false
	if env != nil {
		vals, ok = env.Lookup(c.key)
	}
	present := ok && len(vals) > 0
	if c.op.kind == opNull {
		for i := range c.values {
			want, valid := parseBool(c.values[i].tmpl.raw)
			if valid && want == !present {
				return true
			}
		}
		return false
	}
	if !present && tr != nil {
		tr.missing(c.src.Key)
	}
	negated := operators[c.op.kind].negated
	switch c.op.qualifier {
	case qualForAllValues:
		if !present {
			return true
		}
		for _, v := range vals {
			if c.matchAny(v, env) == negated {
				return false
			}
		}
		return true
	case qualForAnyValue:
		if !present {
			return c.op.ifExists
		}
		for _, v := range vals {
			if c.matchAny(v, env) != negated {
				return true
			}
		}
		return false
	}
	if !present {
		return c.op.ifExists || negated
	}
	if negated {
		// NOR: no request value matches any policy value.
		for _, v := range vals {
			if c.matchAny(v, env) {
				return false
			}
		}
		return true
	}
	for _, v := range vals {
		if c.matchAny(v, env) {
			return true
		}
	}
	return false
}

// matchAny reports whether request value v matches any policy value under the
// positive form of the operator.
func (c *compiledCondition) matchAny(v string, env Lookup) bool {
	switch c.op.kind {
	case opStringEquals, opStringNotEquals, opBinaryEquals:
		for i := range c.values {
			if c.values[i].tmpl.match(v, env, false) {
				return true
			}
		}
	case opStringEqualsIgnoreCase, opStringNotEqualsIgnoreCase:
		for i := range c.values {
			if c.values[i].tmpl.match(v, env, true) {
				return true
			}
		}
	case opStringLike, opStringNotLike:
		for i := range c.values {
			if c.values[i].tmpl.match(v, env, false) {
				return true
			}
		}
	case opBool:
		b, ok := parseBool(v)
		if !ok {
			return false
		}
		for i := range c.values {
			t := &c.values[i].tmpl
			pv := t.raw
			if t.vars {
				if len(t.toks) != 1 {
					continue
				}
				var ok bool
				if pv, ok = t.toks[0].resolve(env); !ok {
					continue
				}
			}
			if want, ok := parseBool(pv); ok && want == b {
				return true
			}
		}
	case opNumericEquals, opNumericNotEquals, opNumericLessThan, opNumericLessThanEquals, opNumericGreaterThan, opNumericGreaterThanEquals:
		n, ok := parseNumber(v)
		if !ok {
			return false
		}
		for i := range c.values {
			if c.values[i].valid && compare(c.op.kind-opNumericEquals, cmpFloat(n, c.values[i].num)) {
				return true
			}
		}
	case opDateEquals, opDateNotEquals, opDateLessThan, opDateLessThanEquals, opDateGreaterThan, opDateGreaterThanEquals:
		t, ok := parseDate(v)
		if !ok {
			return false
		}
		for i := range c.values {
			if c.values[i].valid && compare(c.op.kind-opDateEquals, t.Compare(c.values[i].date)) {
				return true
			}
		}
	case opIPAddress, opNotIPAddress:
		a, err := netip.ParseAddr(strings.TrimSpace(v))
		if err != nil {
			return false
		}
		a = a.Unmap()
		for i := range c.values {
			if c.values[i].valid && c.values[i].prefix.Contains(a) {
				return true
			}
		}
	case opArnEquals, opArnLike, opArnNotEquals, opArnNotLike:
		for i := range c.values {
			if c.values[i].arn.match(v, env) {
				return true
			}
		}
	}
	return false
}

// compare applies the comparison at offset rel within a family's six
// operators (Equals, NotEquals, LessThan, LessThanEquals, GreaterThan,
// GreaterThanEquals) to the sign of request-minus-policy. NotEquals compares as
// Equals here: negation is applied by the caller.
func compare(rel opKind, sign int) bool {
	switch rel {
	case 0, 1:
		return sign == 0
	case 2:
		return sign < 0
	case 3:
		return sign <= 0
	case 4:
		return sign > 0
	case 5:
		return sign >= 0
	}
	return false
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func parseBool(s string) (bool, bool) {
	switch {
	case strings.EqualFold(s, "true"):
		return true, true
	case strings.EqualFold(s, "false"):
		return false, true
	}
	return false, false
}
