package policy

import "strings"

// opFamily is the type of comparison an operator makes.
type opFamily uint8

const (
	famString opFamily = iota
	famNumeric
	famDate
	famBool
	famBinary
	famIP
	famARN
	famNull
)

// opKind is a base condition operator.
type opKind uint8

const (
	opStringEquals opKind = iota
	opStringNotEquals
	opStringEqualsIgnoreCase
	opStringNotEqualsIgnoreCase
	opStringLike
	opStringNotLike
	opNumericEquals
	opNumericNotEquals
	opNumericLessThan
	opNumericLessThanEquals
	opNumericGreaterThan
	opNumericGreaterThanEquals
	opDateEquals
	opDateNotEquals
	opDateLessThan
	opDateLessThanEquals
	opDateGreaterThan
	opDateGreaterThanEquals
	opBool
	opBinaryEquals
	opIPAddress
	opNotIPAddress
	opArnEquals
	opArnLike
	opArnNotEquals
	opArnNotLike
	opNull
)

// opInfo describes a base operator. A negated operator is evaluated as the
// negation, per request value, of its positive counterpart (AWS's rule for
// multivalued keys: NOR across the policy's values).
type opInfo struct {
	name    string
	family  opFamily
	negated bool
}

var operators = [...]opInfo{
	opStringEquals:              {"StringEquals", famString, false},
	opStringNotEquals:           {"StringNotEquals", famString, true},
	opStringEqualsIgnoreCase:    {"StringEqualsIgnoreCase", famString, false},
	opStringNotEqualsIgnoreCase: {"StringNotEqualsIgnoreCase", famString, true},
	opStringLike:                {"StringLike", famString, false},
	opStringNotLike:             {"StringNotLike", famString, true},
	opNumericEquals:             {"NumericEquals", famNumeric, false},
	opNumericNotEquals:          {"NumericNotEquals", famNumeric, true},
	opNumericLessThan:           {"NumericLessThan", famNumeric, false},
	opNumericLessThanEquals:     {"NumericLessThanEquals", famNumeric, false},
	opNumericGreaterThan:        {"NumericGreaterThan", famNumeric, false},
	opNumericGreaterThanEquals:  {"NumericGreaterThanEquals", famNumeric, false},
	opDateEquals:                {"DateEquals", famDate, false},
	opDateNotEquals:             {"DateNotEquals", famDate, true},
	opDateLessThan:              {"DateLessThan", famDate, false},
	opDateLessThanEquals:        {"DateLessThanEquals", famDate, false},
	opDateGreaterThan:           {"DateGreaterThan", famDate, false},
	opDateGreaterThanEquals:     {"DateGreaterThanEquals", famDate, false},
	opBool:                      {"Bool", famBool, false},
	opBinaryEquals:              {"BinaryEquals", famBinary, false},
	opIPAddress:                 {"IpAddress", famIP, false},
	opNotIPAddress:              {"NotIpAddress", famIP, true},
	opArnEquals:                 {"ArnEquals", famARN, false},
	opArnLike:                   {"ArnLike", famARN, false},
	opArnNotEquals:              {"ArnNotEquals", famARN, true},
	opArnNotLike:                {"ArnNotLike", famARN, true},
	opNull:                      {"Null", famNull, false},
}

var operatorByName = func() map[string]opKind {
	m := make(map[string]opKind, len(operators))
	for k, info := range operators {
		m[info.name] = opKind(k)
	}
	return m
}()

// setQualifier is the ForAllValues/ForAnyValue prefix of an operator.
type setQualifier uint8

const (
	qualNone setQualifier = iota
	qualForAllValues
	qualForAnyValue
)

// Operator is a parsed condition operator such as
// "ForAnyValue:StringNotLikeIfExists".
type Operator struct {
	kind      opKind
	qualifier setQualifier
	ifExists  bool
}

// ParseOperator parses a condition operator name. Operator names are
// case-sensitive, as in AWS.
func ParseOperator(name string) (Operator, bool) {
	var op Operator
	switch {
	case strings.HasPrefix(name, "ForAllValues:"):
		op.qualifier, name = qualForAllValues, name[len("ForAllValues:"):]
	case strings.HasPrefix(name, "ForAnyValue:"):
		op.qualifier, name = qualForAnyValue, name[len("ForAnyValue:"):]
	}
	if base, ok := strings.CutSuffix(name, "IfExists"); ok {
		op.ifExists, name = true, base
	}
	k, ok := operatorByName[name]
	if !ok || (k == opNull && (op.ifExists || op.qualifier != qualNone)) {
		return Operator{}, false
	}
	op.kind = k
	return op, true
}

// Family names the operator's family: "String", "Numeric", "Date", "Bool",
// "Binary", "IpAddress", "Arn" or "Null".
func (o Operator) Family() string {
	return [...]string{"String", "Numeric", "Date", "Bool", "Binary", "IpAddress", "Arn", "Null"}[operators[o.kind].family]
}

// Negated reports whether the base operator is a negated one (StringNotEquals,
// NotIpAddress, ArnNotLike, …).
func (o Operator) Negated() bool { return operators[o.kind].negated }

// IfExists reports whether the operator has the IfExists suffix.
func (o Operator) IfExists() bool { return o.ifExists }

// SetQualifier returns "ForAllValues", "ForAnyValue" or "".
func (o Operator) SetQualifier() string {
	return [...]string{"", "ForAllValues", "ForAnyValue"}[o.qualifier]
}

// allowsVariables reports whether policy variables are substituted in the
// operator's values (String, Arn and Bool operators only).
func (o Operator) allowsVariables() bool {
	f := operators[o.kind].family
	return f == famString || f == famARN || f == famBool
}
