package policy

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// fuzzRequests are evaluated against every policy FuzzParse accepts.
var fuzzRequests = []*Request{
	{Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k", Caller: callerUser, Env: env{
		"aws:username": {"alice"}, "aws:principaltag/team": {"blue"}, "aws:sourceip": {"10.1.2.3"},
		"aws:securetransport": {"true"}, "aws:tagkeys": {"a", "b"}, "aws:currenttime": {"2024-05-01T12:00:00Z"},
		"s3:max-keys": {"10"}, "test:key": {"x"},
	}},
	{Action: "IAM:CreateUser", Resource: "arn:aws:iam::111122223333:user/division/alice", Caller: callerSession, Env: env{}},
	{Action: "sts:AssumeRole", Resource: "*", Caller: callerAnonymous},
	{Action: "sqs:SendMessage", Resource: "arn:aws:sqs:us-east-1:111122223333:q", Caller: callerService, Env: env{"aws:userid": {"AROA:x"}}},
}

// FuzzParse checks that Parse never panics, that a rejected document yields
// a *Error with a message and a position inside the document, and that an
// accepted one compiles and evaluates — statement by statement and through a
// Set, which must agree with each other.
func FuzzParse(f *testing.F) {
	for _, c := range acceptCases {
		f.Add(c.doc, uint8(c.kind))
	}
	for _, c := range rejectCases {
		f.Add(c.doc, uint8(c.kind))
	}
	f.Add(benchPolicy, uint8(Identity))
	f.Fuzz(func(t *testing.T, doc string, k uint8) {
		kind := Kind(k % uint8(Any+1))
		p, err := Parse(doc, kind)
		if err != nil {
			checkParseError(t, doc, p, err)
			return
		}
		checkAccepted(t, doc, kind, p)
	})
}

func checkParseError(t *testing.T, doc string, p *Policy, err error) {
	var perr *Error
	if !errors.As(err, &perr) {
		t.Fatalf("error %T %v is not a *Error", err, err)
	}
	if p != nil {
		t.Fatalf("policy %+v returned with error %v", p, err)
	}
	if perr.Message == "" {
		t.Fatalf("error without message: %+v", perr)
	}
	pos := perr.Pos
	lines := 1 + strings.Count(doc, "\n")
	if pos.Offset < 0 || pos.Offset > len(doc) || pos.Line < 1 || pos.Line > lines || pos.Column < 1 || pos.Column > len(doc)+1 {
		t.Fatalf("error position %+v outside the document of %d bytes, %d lines: %v", pos, len(doc), lines, err)
	}
	if pos.Offset < len(doc) {
		line := 1 + strings.Count(doc[:pos.Offset], "\n")
		if line != pos.Line {
			t.Fatalf("error at offset %d is on line %d, not %d", pos.Offset, line, pos.Line)
		}
	}
}

func checkAccepted(t *testing.T, doc string, kind Kind, p *Policy) {
	if p == nil || p.Kind != kind || len(p.Statements) == 0 {
		t.Fatalf("accepted policy %+v", p)
	}
	for i, s := range p.Statements {
		if s.Index != i || s.Start.Offset < 0 || s.End.Offset > len(doc) || s.Start.Offset >= s.End.Offset ||
			doc[s.Start.Offset] != '{' || doc[s.End.Offset-1] != '}' {
			t.Fatalf("statement %d has span %+v–%+v", i, s.Start, s.End)
		}
		if (s.Action == nil) == (s.NotAction == nil) {
			t.Fatalf("statement %d: Action %q NotAction %q", i, s.Action, s.NotAction)
		}
	}
	c := Compile("fuzz", p)
	set := NewSet(c)
	for _, r := range fuzzRequests {
		var want Result
		maxAllow := NoPrincipalMatch
		for i, s := range p.Statements {
			ok, pm := c.Matches(i, r, nil)
			tr := &Trace{}
			if ok2, pm2 := c.Matches(i, r, tr); ok2 != ok || pm2 != pm {
				t.Fatalf("statement %d: Matches %v %v without trace, %v %v with", i, ok, pm, ok2, pm2)
			}
			if !ok {
				continue
			}
			if s.Effect == Deny {
				want.Denied = true
			} else {
				want.Allowed = true
				maxAllow = max(maxAllow, pm)
			}
		}
		tr := &Trace{}
		got := set.Evaluate(r, tr)
		if got.Denied != want.Denied || got.Allowed != want.Allowed || got.AllowMatch != maxAllow {
			t.Fatalf("%s on %s: Set.Evaluate with trace = %+v, statements say %+v (best allow %v)", r.Action, r.Resource, got, want, maxAllow)
		}
		if fast := set.Evaluate(r, nil); fast.Denied != want.Denied || (!want.Denied && fast.Allowed != want.Allowed) {
			t.Fatalf("%s on %s: Set.Evaluate = %+v, statements say %+v", r.Action, r.Resource, fast, want)
		}
	}
}

// FuzzSetAgreement builds policies from fuzzed actions and resource patterns
// and checks that Set.Evaluate, with its action cache and resource-prefix
// index, agrees with matching every statement in turn.
func FuzzSetAgreement(f *testing.F) {
	f.Add("s3:Get*", "arn:aws:s3:::b/*", "arn:aws:s3:::b/k?y", "s3:GetObject", "arn:aws:s3:::b/key", "alice")
	f.Add("*", "arn:aws:s3:::home/${aws:username}/*", "arn:aws:s3:::h", "S3:getobject", "arn:aws:s3:::home/alice/x", "alice")
	f.Add("iam:*User", "arn:aws:iam::*:user/*", "arn:aws:iam::1:user/a", "iam:GetUser", "arn:aws:iam::1:user/a", "")
	f.Add("sqs:*", "arn:aws:sqs:*:1:q${*}", "arn:aws:sqs:us-east-1:1:q", "sqs:SendMessage", "arn:aws:sqs:us-east-1:1:q*", "")
	f.Add("ec2:Run?nstances", "arn:aws:ec2:*:*:instance/*", "arn:aws:ec2", "ec2:RunInstances", "arn:aws:ec2:eu-west-1:1:instance/i-1", "")
	f.Fuzz(func(t *testing.T, action, res1, res2, reqAction, reqResource, username string) {
		q := func(s string) string { b, _ := json.Marshal(s); return string(b) }
		doc := `{"Version":"2012-10-17","Statement":[
			{"Effect":"Allow","Action":` + q(action) + `,"Resource":[` + q(res1) + `,` + q(res2) + `]},
			{"Effect":"Allow","Action":` + q(action) + `,"Resource":` + q(res2) + `},
			{"Effect":"Deny","Action":` + q(action) + `,"NotResource":` + q(res1) + `},
			{"Effect":"Deny","NotAction":` + q(action) + `,"Resource":` + q(res1) + `}]}`
		p, err := Parse(doc, Any)
		if err != nil {
			return
		}
		c := Compile("fuzz", p)
		set := NewSet(c)
		r := &Request{Action: reqAction, Resource: reqResource, Env: env{"aws:username": {username}}}
		var want Result
		for i, s := range p.Statements {
			if ok, _ := c.Matches(i, r, nil); ok {
				if s.Effect == Deny {
					want.Denied = true
				} else {
					want.Allowed, want.AllowMatch = true, MatchedAll
				}
			}
		}
		if got := set.Evaluate(r, &Trace{}); got != want {
			t.Fatalf("Set.Evaluate = %+v, statements say %+v\n%s", got, want, doc)
		}
		// The second evaluation uses the cached action index.
		if got := set.Evaluate(r, nil); got.Denied != want.Denied || (!want.Denied && got != want) {
			t.Fatalf("cached Set.Evaluate = %+v, statements say %+v\n%s", got, want, doc)
		}
	})
}

// negatedPositive maps each negated operator to its positive form.
var negatedPositive = map[string]string{
	"StringNotEquals":           "StringEquals",
	"StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
	"StringNotLike":             "StringLike",
	"NumericNotEquals":          "NumericEquals",
	"DateNotEquals":             "DateEquals",
	"NotIpAddress":              "IpAddress",
	"ArnNotEquals":              "ArnEquals",
	"ArnNotLike":                "ArnLike",
}

// FuzzConditionEval evaluates arbitrary operators, policy values and request
// values. Besides not panicking: for a single-valued key a negated operator
// is the negation of its positive form, a ForAllValues/ForAnyValue
// qualifier over one value agrees with the plain operator, and a value
// without wildcards or variables equals itself.
func FuzzConditionEval(f *testing.F) {
	for _, op := range baseOperators {
		f.Add(op.name, "a*b", "x", "axb", "")
	}
	f.Add("StringLike", "home/${aws:username}/*", "${*}", "home/alice/x", "alice")
	f.Add("ArnLike", "arn:aws:iam::${aws:username}:role/*", "*", "arn:aws:iam::1:role/r", "1")
	f.Add("IpAddress", "10.0.0.0/8", "::1", "10.1.1.1", "")
	f.Add("DateLessThan", "9999-12-31T23:59:59Z", "1577836800", "2020-01-01", "")
	f.Add("NumericLessThanEquals", "10", "1e3", "NaN", "")
	f.Fuzz(func(t *testing.T, op, pv1, pv2, reqValue, username string) {
		o, ok := ParseOperator(op)
		if !ok {
			return
		}
		e := env{"test:key": {reqValue}, "aws:username": {username}}
		policyValues := []string{pv1, pv2}
		got := evalCondition(op, "test:Key", policyValues, e)
		evalCondition(op, "test:Key", policyValues, env{"test:key": {reqValue, pv1, username}})
		evalCondition(op, "test:Key", policyValues, nil)
		if o.SetQualifier() != "" || o.IfExists() {
			base := strings.TrimSuffix(op[strings.IndexByte(op, ':')+1:], "IfExists")
			if plain := evalCondition(base, "test:Key", policyValues, e); plain != got {
				t.Fatalf("%s = %v but %s = %v for one value", op, got, base, plain)
			}
			return
		}
		if pos, ok := negatedPositive[op]; ok {
			if p := evalCondition(pos, "test:Key", policyValues, e); p == got {
				t.Fatalf("%s = %s = %v", op, pos, got)
			}
		}
		if (op == "StringEquals" || op == "StringLike") && !strings.ContainsAny(pv1, "*?$") &&
			!evalCondition(op, "test:Key", []string{pv1}, env{"test:key": {pv1}}) {
			t.Fatalf("%s: %q does not match itself", op, pv1)
		}
	})
}

// benchPolicy is a typical 10-statement identity policy.
const benchPolicy = `{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "ReadOwnHome", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
     "Resource": "arn:aws:s3:::corp-home/home/${aws:username}/*"},
    {"Sid": "ListOwnHome", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::corp-home",
     "Condition": {"StringLike": {"s3:prefix": ["home/${aws:username}/*", "home/"]}}},
    {"Sid": "ReadLogs", "Effect": "Allow", "Action": ["logs:Get*", "logs:Describe*", "logs:FilterLogEvents"],
     "Resource": "arn:aws:logs:*:111122223333:log-group:/app/*"},
    {"Sid": "TeamTables", "Effect": "Allow", "Action": "dynamodb:*",
     "Resource": "arn:aws:dynamodb:eu-west-1:111122223333:table/${aws:PrincipalTag/team}-*"},
    {"Sid": "OwnKeys", "Effect": "Allow", "Action": ["iam:CreateAccessKey", "iam:DeleteAccessKey", "iam:ListAccessKeys"],
     "Resource": "arn:aws:iam::111122223333:user/${aws:username}"},
    {"Sid": "RunTagged", "Effect": "Allow", "Action": ["ec2:StartInstances", "ec2:StopInstances"], "Resource": "*",
     "Condition": {"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}}},
    {"Sid": "Queues", "Effect": "Allow", "Action": "sqs:*", "Resource": "arn:aws:sqs:*:111122223333:app-*",
     "Condition": {"Bool": {"aws:SecureTransport": "true"}}},
    {"Sid": "DenyOutsideCorp", "Effect": "Deny", "NotAction": ["iam:*", "sts:*"], "Resource": "*",
     "Condition": {"NotIpAddress": {"aws:SourceIp": ["203.0.113.0/24", "2001:db8::/32"]}, "Bool": {"aws:ViaAWSService": "false"}}},
    {"Sid": "DenyUntaggedCreate", "Effect": "Deny", "Action": "ec2:RunInstances", "Resource": "arn:aws:ec2:*:*:instance/*",
     "Condition": {"Null": {"aws:RequestTag/team": "true"}}},
    {"Sid": "DenyLargeLists", "Effect": "Deny", "Action": "s3:ListBucket", "Resource": "*",
     "Condition": {"NumericGreaterThan": {"s3:max-keys": "1000"}, "DateGreaterThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}}}
  ]
}`

func BenchmarkParseCompile(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchPolicy)))
	for b.Loop() {
		p, err := Parse(benchPolicy, Identity)
		if err != nil {
			b.Fatal(err)
		}
		Compile("bench", p)
	}
}

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchPolicy)))
	for b.Loop() {
		if _, err := Parse(benchPolicy, Identity); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMatches(b *testing.B) {
	c, err := ParseAndCompile("bench", benchPolicy, Identity)
	if err != nil {
		b.Fatal(err)
	}
	r := &Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::corp-home/home/alice/notes.txt", Env: env{
		"aws:username": {"alice"}, "aws:sourceip": {"203.0.113.5"}, "aws:viaawsservice": {"false"},
	}}
	b.ReportAllocs()
	for b.Loop() {
		for i := range c.stmts {
			c.Matches(i, r, nil)
		}
	}
}
