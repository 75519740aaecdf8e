package policy

import "testing"

// baseOperators lists every AWS condition operator with its family and
// whether it is a negated one, as documented in
// reference_policies_elements_condition_operators.
var baseOperators = []struct {
	name    string
	family  string
	negated bool
}{
	{"StringEquals", "String", false},
	{"StringNotEquals", "String", true},
	{"StringEqualsIgnoreCase", "String", false},
	{"StringNotEqualsIgnoreCase", "String", true},
	{"StringLike", "String", false},
	{"StringNotLike", "String", true},
	{"NumericEquals", "Numeric", false},
	{"NumericNotEquals", "Numeric", true},
	{"NumericLessThan", "Numeric", false},
	{"NumericLessThanEquals", "Numeric", false},
	{"NumericGreaterThan", "Numeric", false},
	{"NumericGreaterThanEquals", "Numeric", false},
	{"DateEquals", "Date", false},
	{"DateNotEquals", "Date", true},
	{"DateLessThan", "Date", false},
	{"DateLessThanEquals", "Date", false},
	{"DateGreaterThan", "Date", false},
	{"DateGreaterThanEquals", "Date", false},
	{"Bool", "Bool", false},
	{"BinaryEquals", "Binary", false},
	{"IpAddress", "IpAddress", false},
	{"NotIpAddress", "IpAddress", true},
	{"ArnEquals", "Arn", false},
	{"ArnLike", "Arn", false},
	{"ArnNotEquals", "Arn", true},
	{"ArnNotLike", "Arn", true},
	{"Null", "Null", false},
}

func TestParseOperatorCombinations(t *testing.T) {
	if len(baseOperators) != len(operators) {
		t.Fatalf("test lists %d operators, package has %d", len(baseOperators), len(operators))
	}
	for _, base := range baseOperators {
		for _, qual := range []string{"", "ForAllValues", "ForAnyValue"} {
			for _, ifExists := range []bool{false, true} {
				name := base.name
				if qual != "" {
					name = qual + ":" + name
				}
				if ifExists {
					name += "IfExists"
				}
				op, ok := ParseOperator(name)
				wantOK := base.name != "Null" || (qual == "" && !ifExists)
				if ok != wantOK {
					t.Errorf("ParseOperator(%q) ok = %v, want %v", name, ok, wantOK)
					continue
				}
				if !ok {
					continue
				}
				if op.Family() != base.family || op.Negated() != base.negated || op.IfExists() != ifExists || op.SetQualifier() != qual {
					t.Errorf("ParseOperator(%q) = family %s negated %v ifExists %v qualifier %q", name,
						op.Family(), op.Negated(), op.IfExists(), op.SetQualifier())
				}
				wantVars := base.family == "String" || base.family == "Arn" || base.family == "Bool"
				if op.allowsVariables() != wantVars {
					t.Errorf("%s: allowsVariables = %v, want %v", name, op.allowsVariables(), wantVars)
				}
			}
		}
	}
}

func TestParseOperatorRejects(t *testing.T) {
	for _, name := range []string{
		"", "stringequals", "STRINGEQUALS", "StringEqual", "StringEqualsIfexists", "IfExists",
		"ForAllValues:", "ForAnyValue:", "ForAllValue:StringEquals", "forallvalues:StringEquals",
		"ForAllValues:ForAnyValue:StringEquals", "StringEqualsIfExistsIfExists", "IfExistsStringEquals",
		"NullIfExists", "ForAllValues:Null", "ForAnyValue:NullIfExists", " StringEquals", "StringEquals ",
		"ArnNotEqualsIgnoreCase", "NumericLike", "DateLike", "IpAddressLike", "NotNull",
	} {
		if op, ok := ParseOperator(name); ok {
			t.Errorf("ParseOperator(%q) accepted as %s", name, op.Family())
		}
	}
}
