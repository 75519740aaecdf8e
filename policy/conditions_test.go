package policy

import (
	"reflect"
	"strings"
	"testing"
)

// env is a request context for tests: lower-case key → values. A key that is
// not lower case is never found, so a caller that forgets to lower-case keys
// fails the tests.
type env map[string][]string

func (e env) Lookup(key string) ([]string, bool) {
	if key != strings.ToLower(key) {
		return nil, false
	}
	v, ok := e[key]
	return v, ok
}

// vals is shorthand for a list of values.
func vals(v ...string) []string { return v }

type condCase struct {
	name   string
	op     string
	key    string
	values []string
	env    env
	want   bool
}

// evalCondition compiles one condition of a 2012-10-17 policy and evaluates it.
func evalCondition(op, key string, values []string, e Lookup) bool {
	c := Condition{Operator: op, Key: key, Values: values}
	cc := compileCondition(&c, true)
	return cc.eval(e, nil)
}

func runCondCases(t *testing.T, tests []condCase) {
	t.Helper()
	for _, tt := range tests {
		key := tt.key
		if key == "" {
			key = "test:Key"
		}
		if _, ok := ParseOperator(tt.op); !ok {
			t.Errorf("%s: %s is not an operator", tt.name, tt.op)
			continue
		}
		if got := evalCondition(tt.op, key, tt.values, tt.env); got != tt.want {
			t.Errorf("%s: %s {%s: %q} with %v = %v, want %v", tt.name, tt.op, key, tt.values, tt.env, got, tt.want)
		}
	}
}

// one is a request context with test:key set to the given values.
func one(v ...string) env { return env{"test:key": v} }

var missing = env{}

func TestStringOperators(t *testing.T) {
	runCondCases(t, []condCase{
		{"equal", "StringEquals", "", vals("alice"), one("alice"), true},
		{"case-sensitive", "StringEquals", "", vals("alice"), one("Alice"), false},
		{"values are ORed", "StringEquals", "", vals("bob", "alice"), one("alice"), true},
		{"no partial match", "StringEquals", "", vals("ali"), one("alice"), false},
		{"wildcard is literal", "StringEquals", "", vals("a*"), one("alice"), false},
		{"wildcard literal matches itself", "StringEquals", "", vals("a*"), one("a*"), true},
		{"missing key", "StringEquals", "", vals("alice"), missing, false},
		{"empty value list is missing", "StringEquals", "", vals(""), one(), false},
		{"empty string value", "StringEquals", "", vals(""), one(""), true},
		{"multivalued request, any matches", "StringEquals", "", vals("x"), one("y", "x"), true},
		{"multivalued request, none matches", "StringEquals", "", vals("x"), one("y", "z"), false},
		{"not equal", "StringNotEquals", "", vals("alice"), one("bob"), true},
		{"not equal, equal", "StringNotEquals", "", vals("alice"), one("alice"), false},
		{"not equal is NOR over values", "StringNotEquals", "", vals("bob", "alice"), one("alice"), false},
		{"not equal, none of the values", "StringNotEquals", "", vals("bob", "alice"), one("carol"), true},
		{"not equal, missing key", "StringNotEquals", "", vals("alice"), missing, true},
		{"not equal, case-sensitive", "StringNotEquals", "", vals("alice"), one("ALICE"), true},
		{"not equal, multivalued request with a match", "StringNotEquals", "", vals("a"), one("b", "a"), false},
		{"ignore case", "StringEqualsIgnoreCase", "", vals("ALICE"), one("alice"), true},
		{"ignore case, different", "StringEqualsIgnoreCase", "", vals("ALICE"), one("alicia"), false},
		{"ignore case, non-ASCII", "StringEqualsIgnoreCase", "", vals("ÉTÉ"), one("été"), true},
		{"ignore case, wildcard literal", "StringEqualsIgnoreCase", "", vals("A*"), one("abc"), false},
		{"not equal ignore case", "StringNotEqualsIgnoreCase", "", vals("ALICE"), one("alice"), false},
		{"not equal ignore case, different", "StringNotEqualsIgnoreCase", "", vals("ALICE"), one("bob"), true},
		{"not equal ignore case, missing", "StringNotEqualsIgnoreCase", "", vals("ALICE"), missing, true},
		{"like *", "StringLike", "", vals("home/*"), one("home/alice/x"), true},
		{"like * empty run", "StringLike", "", vals("home/*"), one("home/"), true},
		{"like * alone matches empty", "StringLike", "", vals("*"), one(""), true},
		{"like * crosses colons and slashes", "StringLike", "", vals("arn:aws:iam::*:role/x"), one("arn:aws:iam::1:2:role/x"), true},
		{"like ? one character", "StringLike", "", vals("a?c"), one("abc"), true},
		{"like ? one multi-byte character", "StringLike", "", vals("a?c"), one("aéc"), true},
		{"like ? not zero characters", "StringLike", "", vals("a?c"), one("ac"), false},
		{"like ? not two characters", "StringLike", "", vals("a?c"), one("abbc"), false},
		{"like inner stars", "StringLike", "", vals("*-prod-*"), one("app-prod-eu"), true},
		{"like needs the suffix", "StringLike", "", vals("*.txt"), one("a.txt.gz"), false},
		{"like backtracks", "StringLike", "", vals("*ab*abc"), one("xabyabababc"), true},
		{"like is case-sensitive", "StringLike", "", vals("Home/*"), one("home/x"), false},
		{"like without wildcard is equality", "StringLike", "", vals("abc"), one("abcd"), false},
		{"like, missing", "StringLike", "", vals("*"), missing, false},
		{"not like", "StringNotLike", "", vals("key1*"), one("key2"), true},
		{"not like, matches", "StringNotLike", "", vals("key1*"), one("key1:x"), false},
		{"not like, NOR", "StringNotLike", "", vals("a*", "b*"), one("bob"), false},
		{"not like, missing", "StringNotLike", "", vals("key1*"), missing, true},
		{"IfExists, missing", "StringEqualsIfExists", "", vals("alice"), missing, true},
		{"IfExists, present and equal", "StringEqualsIfExists", "", vals("alice"), one("alice"), true},
		{"IfExists, present and different", "StringEqualsIfExists", "", vals("alice"), one("bob"), false},
		{"like IfExists, present and different", "StringLikeIfExists", "", vals("a*"), one("bob"), false},
		{"not equal IfExists, present and equal", "StringNotEqualsIfExists", "", vals("alice"), one("alice"), false},
		{"not equal IfExists, missing", "StringNotEqualsIfExists", "", vals("alice"), missing, true},
	})
}

func TestNumericOperators(t *testing.T) {
	runCondCases(t, []condCase{
		{"equal integers", "NumericEquals", "", vals("10"), one("10"), true},
		{"equal integer and decimal", "NumericEquals", "", vals("10"), one("10.0"), true},
		{"equal, exponent", "NumericEquals", "", vals("1e3"), one("1000"), true},
		{"equal, spaces in request value", "NumericEquals", "", vals("10"), one(" 10 "), true},
		{"different", "NumericEquals", "", vals("10"), one("11"), false},
		{"values are ORed", "NumericEquals", "", vals("1", "2"), one("2"), true},
		{"not a number", "NumericEquals", "", vals("10"), one("ten"), false},
		{"NaN is not a number", "NumericEquals", "", vals("10"), one("NaN"), false},
		{"NaN never compares", "NumericLessThanEquals", "", vals("10"), one("nan"), false},
		{"NaN never compares (>=)", "NumericGreaterThanEquals", "", vals("10"), one("NaN"), false},
		{"Inf is not a number", "NumericGreaterThan", "", vals("10"), one("+Inf"), false},
		{"infinity is not a number", "NumericGreaterThan", "", vals("10"), one("infinity"), false},
		{"hexadecimal is not a number", "NumericEquals", "", vals("16"), one("0x10"), false},
		{"underscores are not a number", "NumericEquals", "", vals("1000"), one("1_000"), false},
		{"overflow is not a number", "NumericGreaterThan", "", vals("10"), one("1e400"), false},
		{"invalid policy value matches nothing", "NumericEquals", "", vals("ten", "NaN"), one("10"), false},
		{"invalid policy value does not hide a valid one", "NumericEquals", "", vals("ten", "10"), one("10"), true},
		{"missing", "NumericEquals", "", vals("10"), missing, false},
		{"not equal", "NumericNotEquals", "", vals("10"), one("11"), true},
		{"not equal, equal", "NumericNotEquals", "", vals("10"), one("10.00"), false},
		{"not equal, NOR", "NumericNotEquals", "", vals("1", "2"), one("2"), false},
		{"not equal, missing", "NumericNotEquals", "", vals("10"), missing, true},
		{"less than", "NumericLessThan", "", vals("10"), one("9.99"), true},
		{"less than, equal", "NumericLessThan", "", vals("10"), one("10"), false},
		{"less than, negative", "NumericLessThan", "", vals("0"), one("-1.5"), true},
		{"less than equals, equal", "NumericLessThanEquals", "", vals("10"), one("10"), true},
		{"less than equals, greater", "NumericLessThanEquals", "", vals("10"), one("10.01"), false},
		{"greater than", "NumericGreaterThan", "", vals("10"), one("11"), true},
		{"greater than, equal", "NumericGreaterThan", "", vals("10"), one("10"), false},
		{"greater than equals, equal", "NumericGreaterThanEquals", "", vals("10"), one("10"), true},
		{"greater than equals, less", "NumericGreaterThanEquals", "", vals("10"), one("9"), false},
		{"greater than, any policy value", "NumericGreaterThan", "", vals("100", "5"), one("10"), true},
		{"IfExists, missing", "NumericLessThanIfExists", "", vals("10"), missing, true},
		{"IfExists, present", "NumericLessThanIfExists", "", vals("10"), one("20"), false},
		{"wildcards are not numbers", "NumericEquals", "", vals("1*"), one("10"), false},
	})
}

func TestDateOperators(t *testing.T) {
	runCondCases(t, []condCase{
		{"equal ISO 8601", "DateEquals", "", vals("2020-01-01T00:00:00Z"), one("2020-01-01T00:00:00Z"), true},
		{"equal, fractional seconds", "DateEquals", "", vals("2020-01-01T00:00:00Z"), one("2020-01-01T00:00:00.000Z"), true},
		{"equal, time zone offset", "DateEquals", "", vals("2020-01-01T01:00:00+01:00"), one("2020-01-01T00:00:00Z"), true},
		{"equal, basic format", "DateEquals", "", vals("20200101T000000Z"), one("2020-01-01T00:00:00Z"), true},
		{"equal, date only", "DateEquals", "", vals("2020-01-01"), one("2020-01-01T00:00:00Z"), true},
		{"equal, minutes only", "DateEquals", "", vals("2020-01-01T00:00Z"), one("2020-01-01T00:00:00Z"), true},
		{"equal, no zone is UTC", "DateEquals", "", vals("2020-01-01T00:00:00"), one("2020-01-01T00:00:00Z"), true},
		{"epoch seconds in policy", "DateEquals", "", vals("1577836800"), one("2020-01-01T00:00:00Z"), true},
		{"epoch seconds in request", "DateEquals", "", vals("2020-01-01T00:00:00Z"), one("1577836800"), true},
		{"epoch seconds are not milliseconds", "DateEquals", "", vals("2020-01-01T00:00:00Z"), one("1577836800000"), false},
		{"different", "DateEquals", "", vals("2020-01-01T00:00:00Z"), one("2020-01-01T00:00:01Z"), false},
		{"not a date", "DateEquals", "", vals("2020-01-01T00:00:00Z"), one("yesterday"), false},
		{"no wildcards", "DateEquals", "", vals("2020-01-*"), one("2020-01-01"), false},
		{"missing", "DateEquals", "", vals("2020-01-01"), missing, false},
		{"not equal", "DateNotEquals", "", vals("2020-01-01"), one("2020-01-02"), true},
		{"not equal, equal", "DateNotEquals", "", vals("2020-01-01"), one("1577836800"), false},
		{"not equal, not a date", "DateNotEquals", "", vals("2020-01-01"), one("x"), true},
		{"not equal, missing", "DateNotEquals", "", vals("2020-01-01"), missing, true},
		{"less than", "DateLessThan", "aws:CurrentTime", vals("2020-01-01T00:00:00Z"), env{"aws:currenttime": {"2019-12-31T23:59:59Z"}}, true},
		{"less than, equal", "DateLessThan", "", vals("2020-01-01T00:00:00Z"), one("2020-01-01T00:00:00Z"), false},
		{"less than, sub-second", "DateLessThan", "", vals("2020-01-01T00:00:00.5Z"), one("2020-01-01T00:00:00.25Z"), true},
		{"less than equals", "DateLessThanEquals", "", vals("2020-01-01T00:00:00Z"), one("2020-01-01T00:00:00Z"), true},
		{"greater than", "DateGreaterThan", "", vals("2020-01-01T00:00:00Z"), one("2020-06-01T00:00:00Z"), true},
		{"greater than, earlier", "DateGreaterThan", "", vals("2020-01-01T00:00:00Z"), one("2019-06-01T00:00:00Z"), false},
		{"greater than equals", "DateGreaterThanEquals", "", vals("1577836800"), one("2020-01-01T00:00:00Z"), true},
		{"far future bound", "DateLessThan", "", vals("9999-12-31T23:59:59Z"), one("2024-05-01T12:00:00Z"), true},
		{"far past bound", "DateGreaterThan", "", vals("1000-01-01T00:00:00Z"), one("2024-05-01T12:00:00Z"), true},
		{"far future request", "DateGreaterThan", "", vals("2024-01-01T00:00:00Z"), one("3000-01-01T00:00:00Z"), true},
		{"IfExists, missing", "DateLessThanIfExists", "", vals("2020-01-01"), missing, true},
	})
}

func TestBoolBinaryOperators(t *testing.T) {
	runCondCases(t, []condCase{
		{"true", "Bool", "aws:SecureTransport", vals("true"), env{"aws:securetransport": {"true"}}, true},
		{"false", "Bool", "", vals("false"), one("false"), true},
		{"different", "Bool", "", vals("true"), one("false"), false},
		{"case of request value", "Bool", "", vals("true"), one("TRUE"), true},
		{"case of policy value", "Bool", "", vals("False"), one("false"), true},
		{"not a boolean in request", "Bool", "", vals("true"), one("yes"), false},
		{"not a boolean in policy", "Bool", "", vals("yes"), one("true"), false},
		{"missing", "Bool", "", vals("false"), missing, false},
		{"IfExists, missing", "BoolIfExists", "", vals("false"), missing, true},
		{"IfExists, present", "BoolIfExists", "", vals("false"), one("true"), false},
		{"binary equal", "BinaryEquals", "", vals("QmluYXJ5VmFsdWU="), one("QmluYXJ5VmFsdWU="), true},
		{"binary different", "BinaryEquals", "", vals("QmluYXJ5VmFsdWU="), one("QmluYXJ5VmFsdWF="), false},
		{"binary is not a pattern", "BinaryEquals", "", vals("Qm*"), one("QmluYXJ5VmFsdWU="), false},
		{"binary missing", "BinaryEquals", "", vals("QQ=="), missing, false},
		{"binary IfExists missing", "BinaryEqualsIfExists", "", vals("QQ=="), missing, true},
	})
}

func TestIPAddressOperators(t *testing.T) {
	runCondCases(t, []condCase{
		{"in IPv4 block", "IpAddress", "aws:SourceIp", vals("203.0.113.0/24"), env{"aws:sourceip": {"203.0.113.7"}}, true},
		{"outside IPv4 block", "IpAddress", "", vals("203.0.113.0/24"), one("203.0.114.1"), false},
		{"unmasked block", "IpAddress", "", vals("10.1.2.3/8"), one("10.200.0.1"), true},
		{"bare IPv4 address is /32", "IpAddress", "", vals("203.0.113.7"), one("203.0.113.7"), true},
		{"bare IPv4 address, neighbour", "IpAddress", "", vals("203.0.113.7"), one("203.0.113.8"), false},
		{"in IPv6 block", "IpAddress", "", vals("2001:db8::/32"), one("2001:db8:1::5"), true},
		{"outside IPv6 block", "IpAddress", "", vals("2001:db8::/32"), one("2001:db9::5"), false},
		{"bare IPv6 address is /128", "IpAddress", "", vals("2001:db8::1"), one("2001:db8::1"), true},
		{"bare IPv6 address, neighbour", "IpAddress", "", vals("2001:db8::1"), one("2001:db8::2"), false},
		{"IPv6 request, IPv4 block", "IpAddress", "", vals("10.0.0.0/8"), one("2001:db8::1"), false},
		{"IPv4-mapped request", "IpAddress", "", vals("203.0.113.0/24"), one("::ffff:203.0.113.9"), true},
		{"mixed list", "IpAddress", "", vals("10.0.0.0/8", "2001:db8::/32"), one("2001:db8::1"), true},
		{"spaces around values", "IpAddress", "", vals(" 10.0.0.0/8 "), one(" 10.0.0.1 "), true},
		{"everything", "IpAddress", "", vals("0.0.0.0/0"), one("198.51.100.1"), true},
		{"request not an address", "IpAddress", "", vals("0.0.0.0/0"), one("localhost"), false},
		{"request a block", "IpAddress", "", vals("0.0.0.0/0"), one("10.0.0.0/8"), false},
		{"invalid policy values match nothing", "IpAddress", "", vals("10.0.0.0/33", "10.0.0.x"), one("10.0.0.1"), false},
		{"missing", "IpAddress", "", vals("0.0.0.0/0"), missing, false},
		{"not in", "NotIpAddress", "", vals("10.0.0.0/8"), one("192.0.2.1"), true},
		{"not in, inside", "NotIpAddress", "", vals("10.0.0.0/8"), one("10.0.0.1"), false},
		{"not in, NOR", "NotIpAddress", "", vals("192.0.2.0/24", "10.0.0.0/8"), one("10.0.0.1"), false},
		{"not in, missing (VPC endpoint)", "NotIpAddress", "aws:SourceIp", vals("10.0.0.0/8"), missing, true},
		{"IfExists, missing", "IpAddressIfExists", "", vals("10.0.0.0/8"), missing, true},
	})
}

func TestARNOperators(t *testing.T) {
	role := "arn:aws:iam::123456789012:role/division/admin"
	runCondCases(t, []condCase{
		{"equal", "ArnEquals", "aws:PrincipalArn", vals(role), env{"aws:principalarn": {role}}, true},
		{"equal honours wildcards", "ArnEquals", "", vals("arn:aws:iam::123456789012:role/*"), one(role), true},
		{"like", "ArnLike", "", vals("arn:aws:iam::*:role/division/*"), one(role), true},
		{"like, ? within a segment", "ArnLike", "", vals("arn:aws:iam::12345678901?:role/division/admin"), one(role), true},
		{"like, * in resource crosses /", "ArnLike", "", vals("arn:aws:iam::123456789012:*"), one(role), true},
		{"like, * does not cross :", "ArnLike", "", vals("arn:aws:iam::*:role/x"), one("arn:aws:iam::1:2:role/x"), false},
		{"like, * does not span segments", "ArnLike", "", vals("arn:aws:*:role/x"), one("arn:aws:iam::1:role/x"), false},
		{"like, all segments wild", "ArnLike", "", vals("arn:*:*:*:*:*"), one(role), true},
		{"like, case-sensitive", "ArnLike", "", vals("arn:aws:iam::123456789012:role/Division/*"), one(role), false},
		{"like, resource with colons", "ArnLike", "", vals("arn:aws:ecs:*:*:task/*"), one("arn:aws:ecs:us-east-1:123456789012:task/c:1"), true},
		{"like, request not an ARN", "ArnLike", "", vals("arn:aws:iam::*:role/*"), one("role/admin"), false},
		{"like, different service", "ArnLike", "", vals("arn:aws:iam::*:role/*"), one("arn:aws:sts::123456789012:role/x"), false},
		{"like *", "ArnLike", "", vals("*"), one(role), true},
		{"missing", "ArnLike", "", vals("*"), missing, false},
		{"not equal", "ArnNotEquals", "", vals("arn:aws:iam::123456789012:role/other"), one(role), true},
		{"not equal, equal", "ArnNotEquals", "", vals(role), one(role), false},
		{"not like", "ArnNotLike", "", vals("arn:aws:iam::*:user/*"), one(role), true},
		{"not like, matches", "ArnNotLike", "", vals("arn:aws:iam::*:user/*", "arn:aws:iam::*:role/*"), one(role), false},
		{"not like, missing", "ArnNotLike", "", vals("arn:aws:iam::*:role/*"), missing, true},
		{"not equal, missing", "ArnNotEquals", "", vals(role), missing, true},
		{"IfExists, missing", "ArnLikeIfExists", "", vals("arn:aws:iam::*:role/*"), missing, true},
	})
}

func TestNullOperator(t *testing.T) {
	runCondCases(t, []condCase{
		{"true, missing", "Null", "", vals("true"), missing, true},
		{"true, present", "Null", "", vals("true"), one("x"), false},
		{"false, present", "Null", "", vals("false"), one("x"), true},
		{"false, missing", "Null", "", vals("false"), missing, false},
		{"empty value list counts as missing", "Null", "", vals("true"), one(), true},
		{"case of the value", "Null", "", vals("TRUE"), missing, true},
		{"invalid value matches nothing", "Null", "", vals("maybe"), missing, false},
		{"either", "Null", "", vals("true", "false"), one("x"), true},
	})
}

func TestSetOperators(t *testing.T) {
	tags := func(v ...string) env { return env{"aws:tagkeys": v} }
	runCondCases(t, []condCase{
		{"all values match", "ForAllValues:StringEquals", "aws:TagKeys", vals("env", "team"), tags("team", "env"), true},
		{"one value does not match", "ForAllValues:StringEquals", "aws:TagKeys", vals("env", "team"), tags("team", "cost"), false},
		{"all values, missing key", "ForAllValues:StringEquals", "aws:TagKeys", vals("env"), missing, true},
		{"all values, empty set", "ForAllValues:StringEquals", "aws:TagKeys", vals("env"), tags(), true},
		{"all values, like", "ForAllValues:StringLike", "aws:TagKeys", vals("key1*"), tags("key1:a", "key1:b"), true},
		{"all values, IfExists missing", "ForAllValues:StringEqualsIfExists", "aws:TagKeys", vals("env"), missing, true},
		// AWS's table for ForAllValues:StringNotLike {"aws:TagKeys": "key1*"}.
		{"all not like, key1:legal", "ForAllValues:StringNotLike", "aws:TagKeys", vals("key1*"), tags("key1:legal"), false},
		{"all not like, key1:hr key1:personnel", "ForAllValues:StringNotLike", "aws:TagKeys", vals("key1*"), tags("key1:hr", "key1:personnel"), false},
		{"all not like, key2:audit", "ForAllValues:StringNotLike", "aws:TagKeys", vals("key1*"), tags("key2:audit"), true},
		{"all not like, missing", "ForAllValues:StringNotLike", "aws:TagKeys", vals("key1*"), missing, true},
		{"all not like, one matching", "ForAllValues:StringNotLike", "aws:TagKeys", vals("key1*"), tags("key2:audit", "key1:x"), false},
		{"all not equal, NOR per value", "ForAllValues:StringNotEquals", "aws:TagKeys", vals("a", "b"), tags("c", "d"), true},
		{"all not equal, one listed", "ForAllValues:StringNotEquals", "aws:TagKeys", vals("a", "b"), tags("c", "b"), false},
		{"any value matches", "ForAnyValue:StringEquals", "aws:TagKeys", vals("env"), tags("cost", "env"), true},
		{"no value matches", "ForAnyValue:StringEquals", "aws:TagKeys", vals("env"), tags("cost", "team"), false},
		{"any value, missing key", "ForAnyValue:StringEquals", "aws:TagKeys", vals("env"), missing, false},
		{"any value, empty set", "ForAnyValue:StringEquals", "aws:TagKeys", vals("env"), tags(), false},
		{"any value, IfExists missing", "ForAnyValue:StringEqualsIfExists", "aws:TagKeys", vals("env"), missing, true},
		{"any value, IfExists present", "ForAnyValue:StringEqualsIfExists", "aws:TagKeys", vals("env"), tags("x"), false},
		{"any not equal, one outside", "ForAnyValue:StringNotEquals", "aws:TagKeys", vals("a", "b"), tags("a", "c"), true},
		{"any not equal, all listed", "ForAnyValue:StringNotEquals", "aws:TagKeys", vals("a", "b"), tags("a", "b"), false},
		{"any not equal, missing", "ForAnyValue:StringNotEquals", "aws:TagKeys", vals("a"), missing, false},
		{"any not like", "ForAnyValue:StringNotLike", "aws:TagKeys", vals("key1*"), tags("key1:a", "key2:b"), true},
		{"all numeric", "ForAllValues:NumericLessThan", "", vals("10"), one("1", "2", "9.5"), true},
		{"all numeric, one too big", "ForAllValues:NumericLessThan", "", vals("10"), one("1", "20"), false},
		{"any IP", "ForAnyValue:IpAddress", "", vals("10.0.0.0/8"), one("192.0.2.1", "10.1.1.1"), true},
		{"all not IP", "ForAllValues:NotIpAddress", "", vals("10.0.0.0/8"), one("192.0.2.1", "10.1.1.1"), false},
		{"any ARN", "ForAnyValue:ArnLike", "", vals("arn:aws:iam::*:role/*"), one("x", "arn:aws:iam::1:role/r"), true},
		{"all dates", "ForAllValues:DateGreaterThan", "", vals("2020-01-01"), one("2021-01-01", "2022-01-01"), true},
		{"any bool", "ForAnyValue:Bool", "", vals("true"), one("false", "true"), true},
	})
}

func TestConditionKeyNamesAreCaseInsensitive(t *testing.T) {
	e := env{"aws:principaltag/team": {"Blue"}}
	for _, key := range []string{"aws:PrincipalTag/team", "AWS:PRINCIPALTAG/TEAM", "aws:principaltag/Team"} {
		if !evalCondition("StringEquals", key, vals("Blue"), e) {
			t.Errorf("key %s not found", key)
		}
		if evalCondition("StringEquals", key, vals("blue"), e) {
			t.Errorf("key %s: values compared case-insensitively", key)
		}
	}
}

func TestConditionTraceRecordsMissingKeys(t *testing.T) {
	tr := &Trace{}
	for _, op := range []string{"StringEquals", "StringNotEquals", "ForAllValues:StringEquals", "BoolIfExists"} {
		c := Condition{Operator: op, Key: "aws:PrincipalTag/Team", Values: vals("x")}
		cc := compileCondition(&c, true)
		cc.eval(missing, tr)
	}
	for _, key := range []string{"aws:username", "aws:SourceIp"} {
		c := Condition{Operator: "Null", Key: key, Values: vals("true")}
		cc := compileCondition(&c, true)
		cc.eval(missing, tr)
		c = Condition{Operator: "IpAddress", Key: "aws:SourceIp", Values: vals("10.0.0.0/8")}
		cc = compileCondition(&c, true)
		cc.eval(env{"aws:sourceip": {"10.0.0.1"}}, tr)
	}
	if want := []string{"aws:PrincipalTag/Team"}; !reflect.DeepEqual(tr.MissingKeys, want) {
		t.Errorf("MissingKeys = %q, want %q", tr.MissingKeys, want)
	}
}

// TestConditionBlock checks the logic across a whole Condition element: AND
// across operators and keys, OR across one key's values.
func TestConditionBlock(t *testing.T) {
	doc := stmt(allowAll + `,"Condition":{
		"StringEquals":{"aws:PrincipalTag/team":["blue","green"],"aws:RequestedRegion":"eu-west-1"},
		"Bool":{"aws:SecureTransport":"true"},
		"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`)
	c, err := ParseAndCompile("test", doc, Identity)
	if err != nil {
		t.Fatal(err)
	}
	base := env{
		"aws:principaltag/team": {"green"},
		"aws:requestedregion":   {"eu-west-1"},
		"aws:securetransport":   {"true"},
		"aws:sourceip":          {"10.2.3.4"},
	}
	tests := []struct {
		name  string
		key   string
		value []string // nil deletes the key
		want  bool
	}{
		{"all hold", "", nil, true},
		{"second value of a key", "aws:principaltag/team", vals("blue"), true},
		{"other value", "aws:principaltag/team", vals("red"), false},
		{"second key of an operator", "aws:requestedregion", vals("us-east-1"), false},
		{"second operator", "aws:securetransport", vals("false"), false},
		{"third operator", "aws:sourceip", vals("192.0.2.1"), false},
		{"missing key", "aws:sourceip", nil, false},
	}
	for _, tt := range tests {
		e := env{}
		for k, v := range base {
			e[k] = v
		}
		if tt.key != "" {
			if tt.value == nil {
				delete(e, tt.key)
			} else {
				e[tt.key] = tt.value
			}
		}
		r := &Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k", Env: e}
		if got, _ := c.Matches(0, r, nil); got != tt.want {
			t.Errorf("%s: Matches = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestConditionNilLookup checks that a request without a context (nil
// Lookup) is a request in which every key is missing.
func TestConditionNilLookup(t *testing.T) {
	tests := []struct {
		op   string
		want bool
	}{
		{"StringEquals", false},
		{"StringNotEquals", true},
		{"StringEqualsIfExists", true},
		{"ForAllValues:StringEquals", true},
		{"ForAnyValue:StringEquals", false},
		{"Null", false}, // the value below is "false": the key must be present
	}
	for _, tt := range tests {
		if got := evalCondition(tt.op, "aws:username", vals("false"), nil); got != tt.want {
			t.Errorf("%s with nil Lookup = %v, want %v", tt.op, got, tt.want)
		}
	}
}
