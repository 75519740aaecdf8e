package policy

import "testing"

func TestVariablesInConditions(t *testing.T) {
	alice := env{"aws:username": {"alice"}, "test:key": {"home/alice"}}
	runCondCases(t, []condCase{
		{"variable", "StringEquals", "", vals("home/${aws:username}"), alice, true},
		{"variable, other user", "StringEquals", "", vals("home/${aws:username}"), env{"aws:username": {"bob"}, "test:key": {"home/alice"}}, false},
		{"variable name is case-insensitive", "StringEquals", "", vals("home/${AWS:UserName}"), alice, true},
		{"variable value is case-sensitive", "StringEquals", "", vals("home/${aws:username}"), env{"aws:username": {"Alice"}, "test:key": {"home/alice"}}, false},
		{"variable with spaces", "StringEquals", "", vals("home/${ aws:username }"), alice, true},
		{"several variables", "StringEquals", "", vals("${test:a}/${aws:username}"), env{"aws:username": {"alice"}, "test:a": {"home"}, "test:key": {"home/alice"}}, true},
		{"ignore case with variable", "StringEqualsIgnoreCase", "", vals("HOME/${aws:username}"), env{"aws:username": {"ALICE"}, "test:key": {"home/alice"}}, true},
		{"like with variable after star", "StringLike", "", vals("*/${aws:username}"), env{"aws:username": {"alice"}, "test:key": {"a/b/alice"}}, true},
		{"like with variable then star", "StringLike", "", vals("home/${aws:username}/*"), env{"aws:username": {"alice"}, "test:key": {"home/alice/docs/x"}}, true},
		{"variable value is literal, not a pattern", "StringLike", "", vals("home/${aws:username}"), env{"aws:username": {"*"}, "test:key": {"home/alice"}}, false},
		{"variable value * matches itself", "StringLike", "", vals("home/${aws:username}"), env{"aws:username": {"*"}, "test:key": {"home/*"}}, true},
		{"default when missing", "StringEquals", "", vals("${aws:PrincipalTag/team, 'company-wide'}"), one("company-wide"), true},
		{"default ignored when present", "StringEquals", "", vals("${aws:PrincipalTag/team, 'company-wide'}"),
			env{"aws:principaltag/team": {"blue"}, "test:key": {"company-wide"}}, false},
		{"value used when present", "StringEquals", "", vals("${aws:PrincipalTag/team, 'company-wide'}"),
			env{"aws:principaltag/team": {"blue"}, "test:key": {"blue"}}, true},
		{"default without space", "StringEquals", "", vals("${aws:PrincipalTag/team,'x'}"), one("x"), true},
		{"empty default", "StringEquals", "", vals("a${test:none, ''}b"), one("ab"), true},
		{"default is case-sensitive", "StringEquals", "", vals("${test:none, 'X'}"), one("x"), false},
		{"unquoted default is no default", "StringEquals", "", vals("${test:none, x}"), one("x"), false},
		{"multivalued variable is unresolved", "StringEquals", "", vals("${test:multi}"), env{"test:multi": {"a", "b"}, "test:key": {"a"}}, false},
		{"multivalued variable takes the default", "StringEquals", "", vals("${test:multi, 'd'}"), env{"test:multi": {"a", "b"}, "test:key": {"d"}}, true},
		{"empty variable is unresolved", "StringEquals", "", vals("${test:empty}"), env{"test:empty": {}, "test:key": {""}}, false},
		{"unresolved matches nothing", "StringEquals", "", vals("home/${aws:username}"), one("home/"), false},
		{"unresolved in like matches nothing", "StringLike", "", vals("*${aws:username}*"), one("anything"), false},
		{"unresolved, other value still matches", "StringEquals", "", vals("${aws:username}", "x"), one("x"), true},
		{"unresolved in negated operator matches", "StringNotEquals", "", vals("home/${aws:username}"), one("home/"), true},
		{"unresolved in not like matches", "StringNotLike", "", vals("${aws:username}*"), one("x"), true},
		{"${*} is a literal star", "StringLike", "", vals("a${*}b"), one("a*b"), true},
		{"${*} is not a wildcard", "StringLike", "", vals("a${*}b"), one("axb"), false},
		{"${?} is a literal question mark", "StringLike", "", vals("what${?}"), one("what?"), true},
		{"${?} is not a wildcard", "StringLike", "", vals("what${?}"), one("whats"), false},
		{"${$} is a dollar", "StringEquals", "", vals("${$}{aws:username}"), env{"aws:username": {"alice"}, "test:key": {"${aws:username}"}}, true},
		{"unterminated variable is literal", "StringEquals", "", vals("${aws:username"), env{"aws:username": {"alice"}, "test:key": {"${aws:username"}}, true},
		{"lone dollar is literal", "StringEquals", "", vals("$5 {x}"), one("$5 {x}"), true},
		{"${} is unresolved", "StringEquals", "", vals("${}"), one(""), false},
		{"bool with variable", "Bool", "", vals("${test:flag}"), env{"test:flag": {"true"}, "test:key": {"true"}}, true},
		{"bool with variable, different", "Bool", "", vals("${test:flag}"), env{"test:flag": {"false"}, "test:key": {"true"}}, false},
		{"bool with unresolved variable", "Bool", "", vals("${test:flag}"), one("true"), false},
		{"bool with two variables", "Bool", "", vals("${test:a}${test:b}"), env{"test:a": {"tr"}, "test:b": {"ue"}, "test:key": {"true"}}, false},
		{"no variables in numeric operators", "NumericEquals", "", vals("${test:n}"), env{"test:n": {"5"}, "test:key": {"5"}}, false},
		{"no variables in date operators", "DateEquals", "", vals("${test:d}"), env{"test:d": {"2020-01-01"}, "test:key": {"2020-01-01"}}, false},
		{"no variables in IP operators", "IpAddress", "", vals("${test:ip}"), env{"test:ip": {"10.0.0.1"}, "test:key": {"10.0.0.1"}}, false},
		{"no variables in binary operators", "BinaryEquals", "", vals("${test:b}"), env{"test:b": {"QQ=="}, "test:key": {"${test:b}"}}, true},
		{"arn with variable", "ArnLike", "", vals("arn:aws:iam::${aws:PrincipalAccount}:role/*"),
			env{"aws:principalaccount": {"123456789012"}, "test:key": {"arn:aws:iam::123456789012:role/x"}}, true},
		{"arn with variable, other account", "ArnLike", "", vals("arn:aws:iam::${aws:PrincipalAccount}:role/*"),
			env{"aws:principalaccount": {"123456789012"}, "test:key": {"arn:aws:iam::210987654321:role/x"}}, false},
		{"arn with unresolved variable", "ArnLike", "", vals("arn:aws:iam::${aws:PrincipalAccount}:role/*"), one("arn:aws:iam::1:role/x"), false},
		{"arn with unresolved variable, negated", "ArnNotLike", "", vals("arn:aws:iam::${aws:PrincipalAccount}:role/*"), one("arn:aws:iam::1:role/x"), true},
		{"arn with variable, * stays in its segment", "ArnLike", "", vals("arn:aws:iam::*:role/${aws:username}"),
			env{"aws:username": {"x"}, "test:key": {"arn:aws:iam::1:2:role/x"}}, false},
		{"arn with variable in resource, value with colon", "ArnEquals", "", vals("arn:aws:s3:::b/${aws:userid}/*"),
			env{"aws:userid": {"AROAEXAMPLE:session"}, "test:key": {"arn:aws:s3:::b/AROAEXAMPLE:session/k"}}, true},
		{"arn with ${*} is a literal star", "ArnEquals", "", vals("arn:aws:s3:::b/${*}"), one("arn:aws:s3:::b/*"), true},
		{"arn with ${*} is not a wildcard", "ArnEquals", "", vals("arn:aws:s3:::b/${*}"), one("arn:aws:s3:::b/key"), false},
		{"arn with ${*} and a wildcard", "ArnLike", "", vals("arn:aws:s3:::b/${*}/*"), one("arn:aws:s3:::b/*/key"), true},
		{"arn with ${*} and a wildcard, no literal star", "ArnLike", "", vals("arn:aws:s3:::b/${*}/*"), one("arn:aws:s3:::b/x/key"), false},
		{"arn, non-ARN pattern with variable", "ArnLike", "", vals("${aws:username}"), env{"aws:username": {"x"}, "test:key": {"x"}}, true},
		{"arn, truncated pattern with variable", "ArnLike", "", vals("arn:aws:${aws:username}"), env{"aws:username": {"x"}, "test:key": {"arn:aws:x"}}, false},
		{"arn, value shorter than pattern", "ArnLike", "", vals("arn:aws:iam::${aws:username}:role/x"), env{"aws:username": {"1"}, "test:key": {"arn:aws:iam"}}, false},
	})
}

// TestVersion2008 checks that without Version 2012-10-17 variables are
// literal text.
func TestVersion2008(t *testing.T) {
	for _, version := range []string{`"Version":"2008-10-17",`, ``} {
		doc := `{` + version + `"Statement":{"Effect":"Allow","Action":"s3:GetObject",
			"Resource":"arn:aws:s3:::b/${aws:username}/*",
			"Condition":{"StringLike":{"s3:prefix":"${aws:username}/*"}}}}`
		c, err := ParseAndCompile("p", doc, Identity)
		if err != nil {
			t.Fatal(err)
		}
		e := env{"aws:username": {"alice"}, "s3:prefix": {"${aws:username}/x"}}
		tests := []struct {
			resource string
			want     bool
		}{
			{"arn:aws:s3:::b/${aws:username}/k", true},
			{"arn:aws:s3:::b/alice/k", false},
		}
		for _, tt := range tests {
			r := &Request{Action: "s3:GetObject", Resource: tt.resource, Env: e}
			if got, _ := c.Matches(0, r, nil); got != tt.want {
				t.Errorf("%s %s: Matches = %v, want %v", version, tt.resource, got, tt.want)
			}
		}
	}
}

func TestVariablesInResources(t *testing.T) {
	doc := stmt(`"Effect":"Allow","Action":"s3:*","Resource":[
		"arn:aws:s3:::home/${aws:username}/*",
		"arn:aws:s3:::team-${aws:PrincipalTag/team, 'shared'}",
		"arn:aws:s3:::sessions/${aws:userid}",
		"arn:aws:s3:::literal/${*}${?}${$}"]`)
	c, err := ParseAndCompile("p", doc, Identity)
	if err != nil {
		t.Fatal(err)
	}
	alice := env{"aws:username": {"alice"}, "aws:principaltag/team": {"blue"}}
	role := env{"aws:userid": {"AROAEXAMPLE:alice"}}
	tests := []struct {
		name     string
		resource string
		env      env
		want     bool
	}{
		{"own folder", "arn:aws:s3:::home/alice/docs/x", alice, true},
		{"other's folder", "arn:aws:s3:::home/bob/x", alice, false},
		{"variable value is literal", "arn:aws:s3:::home/*/x", env{"aws:username": {"*"}}, true},
		{"variable value * does not match others", "arn:aws:s3:::home/bob/x", env{"aws:username": {"*"}}, false},
		{"unresolved", "arn:aws:s3:::home//x", role, false},
		{"unresolved, resource with the variable text", "arn:aws:s3:::home/${aws:username}/x", role, false},
		{"tag", "arn:aws:s3:::team-blue", alice, true},
		{"tag default unused", "arn:aws:s3:::team-shared", alice, false},
		{"tag default", "arn:aws:s3:::team-shared", role, true},
		{"value with a colon", "arn:aws:s3:::sessions/AROAEXAMPLE:alice", role, true},
		{"value with a colon, other", "arn:aws:s3:::sessions/AROAEXAMPLE:bob", role, false},
		{"escapes", "arn:aws:s3:::literal/*?$", nil, true},
		{"escapes are not wildcards", "arn:aws:s3:::literal/ab$", nil, false},
		{"not an ARN", "home/alice/x", alice, false},
	}
	for _, tt := range tests {
		var e Lookup = tt.env
		if tt.env == nil {
			e = nil
		}
		r := &Request{Action: "s3:GetObject", Resource: tt.resource, Env: e}
		if got, _ := c.Matches(0, r, nil); got != tt.want {
			t.Errorf("%s: Matches(%s) = %v, want %v", tt.name, tt.resource, got, tt.want)
		}
	}
}

func TestNotResourceWithVariables(t *testing.T) {
	doc := stmt(`"Effect":"Deny","Action":"s3:*","NotResource":"arn:aws:s3:::home/${aws:username}/*"`)
	c, err := ParseAndCompile("p", doc, Identity)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		resource string
		env      env
		want     bool
	}{
		{"arn:aws:s3:::home/alice/x", env{"aws:username": {"alice"}}, false},
		{"arn:aws:s3:::home/bob/x", env{"aws:username": {"alice"}}, true},
		// An unresolved variable excludes nothing: the Deny applies.
		{"arn:aws:s3:::home/alice/x", env{}, true},
	}
	for _, tt := range tests {
		r := &Request{Action: "s3:GetObject", Resource: tt.resource, Env: tt.env}
		if got, _ := c.Matches(0, r, nil); got != tt.want {
			t.Errorf("%s with %v: Matches = %v, want %v", tt.resource, tt.env, got, tt.want)
		}
	}
}

// TestNotResourceStar checks that "NotResource": "*" excludes every resource,
// so the statement never applies, while "Resource": "*" and a statement
// without Resource (trust policies, SCPs) apply to any resource.
func TestNotResourceStar(t *testing.T) {
	tests := []struct {
		kind    Kind
		members string
		want    bool
	}{
		{Identity, `"Effect":"Deny","Action":"s3:*","NotResource":"*"`, false},
		{Identity, `"Effect":"Deny","Action":"s3:*","NotResource":["arn:aws:s3:::other","*"]`, false},
		{Identity, `"Effect":"Deny","Action":"s3:*","Resource":["arn:aws:s3:::other","*"]`, true},
		{SCP, `"Effect":"Deny","Action":"s3:*"`, true},
	}
	for _, tt := range tests {
		c, err := ParseAndCompile("p", stmt(tt.members), tt.kind)
		if err != nil {
			t.Fatal(err)
		}
		r := &Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k", Env: env{}}
		if got, _ := c.Matches(0, r, nil); got != tt.want {
			t.Errorf("%s: Matches = %v, want %v", tt.members, got, tt.want)
		}
	}
}
