package policy

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// stmt wraps statement members in a 2012-10-17 document with one statement.
func stmt(members string) string {
	return `{"Version":"2012-10-17","Statement":{` + members + `}}`
}

const (
	allowAll   = `"Effect":"Allow","Action":"s3:GetObject","Resource":"*"`
	trustStmt  = `"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"ec2.amazonaws.com"}`
	bucketStmt = `"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"`
)

// positionOf returns the position of the first occurrence of marker in doc,
// computed independently of the parser: lines split at '\n', columns counted
// in characters from 1.
func positionOf(t *testing.T, doc, marker string) Position {
	t.Helper()
	off := strings.Index(doc, marker)
	if off < 0 {
		t.Fatalf("marker %q not in document %q", marker, doc)
	}
	line := 1 + strings.Count(doc[:off], "\n")
	lineStart := strings.LastIndexByte(doc[:off], '\n') + 1
	return Position{Offset: off, Line: line, Column: 1 + len([]rune(doc[lineStart:off]))}
}

// acceptCase is a document that Parse must accept, and the policy it yields.
type acceptCase struct {
	name string
	kind Kind
	doc  string
	want *Policy // Start/End and Conditions[].Pos are not compared
}

// acceptCases is shared by TestParseAccepts and the seed corpus of FuzzParse.
var acceptCases = []acceptCase{
	{
		name: "statement object, version 2012",
		kind: Identity,
		doc:  stmt(allowAll),
		want: &Policy{Kind: Identity, Version: Version2012, Statements: []*Statement{
			{Effect: Allow, Action: []string{"s3:GetObject"}, Resource: []string{"*"}},
		}},
	},
	{
		name: "statement array, version 2008, Id, Sid, lists",
		kind: Identity,
		doc: `{"Version":"2008-10-17","Id":"p1","Statement":[
			{"Sid":"A1","Effect":"Allow","Action":["s3:Get*","s3:List*"],"Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"]},
			{"Sid":"","Effect":"Deny","NotAction":"iam:*","NotResource":"arn:aws:iam::*:role/admin"}]}`,
		want: &Policy{Kind: Identity, Version: Version2008, ID: "p1", Statements: []*Statement{
			{Sid: "A1", Effect: Allow, Action: []string{"s3:Get*", "s3:List*"}, Resource: []string{"arn:aws:s3:::b", "arn:aws:s3:::b/*"}},
			{Index: 1, Effect: Deny, NotAction: []string{"iam:*"}, NotResource: []string{"arn:aws:iam::*:role/admin"}},
		}},
	},
	{
		name: "no version",
		kind: Identity,
		doc:  `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`,
		want: &Policy{Kind: Identity, Statements: []*Statement{
			{Effect: Allow, Action: []string{"*"}, Resource: []string{"*"}},
		}},
	},
	{
		name: "whitespace, escapes and non-ASCII",
		kind: Identity,
		doc:  " \r\n\t{ \"Statement\" : { \"Effect\" : \"Allow\" , \"Action\" : \"s3:Get\\u004fbject\", \"Resource\" : \"arn:aws:s3:::b/caf\u00e9/\\ud83d\\ude00\\/x\\\\\" } } \n",
		want: &Policy{Kind: Identity, Statements: []*Statement{
			{Effect: Allow, Action: []string{"s3:GetObject"}, Resource: []string{"arn:aws:s3:::b/caf\u00e9/\U0001F600/x\\"}},
		}},
	},
	{
		name: "conditions: strings, numbers, booleans, lists",
		kind: Identity,
		doc: stmt(allowAll + `,"Condition":{
			"NumericLessThanEquals":{"s3:max-keys":10,"aws:MultiFactorAuthAge":-1.5e3},
			"Bool":{"aws:SecureTransport":true},
			"ForAnyValue:StringLikeIfExists":{"aws:TagKeys":["a*","b"]},
			"Null":{"aws:TokenIssueTime":"false"}}`),
		want: &Policy{Kind: Identity, Version: Version2012, Statements: []*Statement{
			{Effect: Allow, Action: []string{"s3:GetObject"}, Resource: []string{"*"}, Conditions: []Condition{
				{Operator: "NumericLessThanEquals", Key: "s3:max-keys", Values: []string{"10"}},
				{Operator: "NumericLessThanEquals", Key: "aws:MultiFactorAuthAge", Values: []string{"-1.5e3"}},
				{Operator: "Bool", Key: "aws:SecureTransport", Values: []string{"true"}},
				{Operator: "ForAnyValue:StringLikeIfExists", Key: "aws:TagKeys", Values: []string{"a*", "b"}},
				{Operator: "Null", Key: "aws:TokenIssueTime", Values: []string{"false"}},
			}},
		}},
	},
	{
		name: "principal *",
		kind: Resource,
		doc:  stmt(bucketStmt + `,"Principal":"*"`),
		want: &Policy{Kind: Resource, Version: Version2012, Statements: []*Statement{
			{Effect: Allow, Principal: &Principal{All: true}, Action: []string{"s3:GetObject"}, Resource: []string{"arn:aws:s3:::b/*"}},
		}},
	},
	{
		name: "principal AWS *, account, ARNs",
		kind: Resource,
		doc: stmt(bucketStmt + `,"Principal":{"AWS":["*","123456789012","arn:aws:iam::123456789012:root",
			"arn:aws:iam::123456789012:user/division/alice","arn:aws:iam::123456789012:role/r",
			"arn:aws:sts::123456789012:assumed-role/r/s","arn:aws:sts::123456789012:federated-user/bob"]}`),
		want: &Policy{Kind: Resource, Version: Version2012, Statements: []*Statement{
			{Effect: Allow, Principal: &Principal{AWS: []string{"*", "123456789012", "arn:aws:iam::123456789012:root",
				"arn:aws:iam::123456789012:user/division/alice", "arn:aws:iam::123456789012:role/r",
				"arn:aws:sts::123456789012:assumed-role/r/s", "arn:aws:sts::123456789012:federated-user/bob"}},
				Action: []string{"s3:GetObject"}, Resource: []string{"arn:aws:s3:::b/*"}},
		}},
	},
	{
		name: "principal Service, Federated, CanonicalUser",
		kind: Resource,
		doc: stmt(bucketStmt + `,"Principal":{"Service":["ec2.amazonaws.com","lambda.amazonaws.com"],
			"Federated":"arn:aws:iam::123456789012:saml-provider/idp","CanonicalUser":"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"}`),
		want: &Policy{Kind: Resource, Version: Version2012, Statements: []*Statement{
			{Effect: Allow, Principal: &Principal{Service: []string{"ec2.amazonaws.com", "lambda.amazonaws.com"},
				Federated:     []string{"arn:aws:iam::123456789012:saml-provider/idp"},
				CanonicalUser: []string{"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"}},
				Action: []string{"s3:GetObject"}, Resource: []string{"arn:aws:s3:::b/*"}},
		}},
	},
	{
		name: "NotPrincipal in a resource policy",
		kind: Resource,
		doc:  stmt(`"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::123456789012:user/bob","123456789012"]},"Action":"s3:*","Resource":"arn:aws:s3:::b"`),
		want: &Policy{Kind: Resource, Version: Version2012, Statements: []*Statement{
			{Effect: Deny, NotPrincipal: &Principal{AWS: []string{"arn:aws:iam::123456789012:user/bob", "123456789012"}},
				Action: []string{"s3:*"}, Resource: []string{"arn:aws:s3:::b"}},
		}},
	},
	{
		name: "resource policies may repeat a Sid and use any characters in it",
		kind: Resource,
		doc: `{"Statement":[{"Sid":"read-all",` + bucketStmt + `,"Principal":"*"},
			{"Sid":"read-all",` + bucketStmt + `,"Principal":"*"}]}`,
		want: &Policy{Kind: Resource, Statements: []*Statement{
			{Sid: "read-all", Effect: Allow, Principal: &Principal{All: true}, Action: []string{"s3:GetObject"}, Resource: []string{"arn:aws:s3:::b/*"}},
			{Index: 1, Sid: "read-all", Effect: Allow, Principal: &Principal{All: true}, Action: []string{"s3:GetObject"}, Resource: []string{"arn:aws:s3:::b/*"}},
		}},
	},
	{
		name: "trust policy without Resource",
		kind: Trust,
		doc:  stmt(trustStmt),
		want: &Policy{Kind: Trust, Version: Version2012, Statements: []*Statement{
			{Effect: Allow, Principal: &Principal{Service: []string{"ec2.amazonaws.com"}}, Action: []string{"sts:AssumeRole"}},
		}},
	},
	{
		name: "SCP without Resource",
		kind: SCP,
		doc:  stmt(`"Effect":"Deny","Action":"ec2:*"`),
		want: &Policy{Kind: SCP, Version: Version2012, Statements: []*Statement{
			{Effect: Deny, Action: []string{"ec2:*"}},
		}},
	},
	{
		name: "RCP with Principal *",
		kind: RCP,
		doc:  stmt(`"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*"`),
		want: &Policy{Kind: RCP, Version: Version2012, Statements: []*Statement{
			{Effect: Deny, Principal: &Principal{All: true}, Action: []string{"s3:*"}, Resource: []string{"*"}},
		}},
	},
	{
		name: "RCP with Principal {AWS: *}",
		kind: RCP,
		doc:  stmt(`"Effect":"Deny","Principal":{"AWS":"*"},"Action":"s3:*","Resource":"*"`),
		want: &Policy{Kind: RCP, Version: Version2012, Statements: []*Statement{
			{Effect: Deny, Principal: &Principal{AWS: []string{"*"}}, Action: []string{"s3:*"}, Resource: []string{"*"}},
		}},
	},
	{
		name: "Any accepts a Principal and a non-ARN resource",
		kind: Any,
		doc:  stmt(`"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"bucket/key"`),
		want: &Policy{Kind: Any, Version: Version2012, Statements: []*Statement{
			{Effect: Allow, Principal: &Principal{All: true}, Action: []string{"s3:GetObject"}, Resource: []string{"bucket/key"}},
		}},
	},
}

func TestParseAccepts(t *testing.T) {
	for _, tt := range acceptCases {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.doc, tt.kind)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			for _, s := range got.Statements {
				s.Start, s.End = Position{}, Position{}
				for i := range s.Conditions {
					s.Conditions[i].Pos = Position{}
				}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse =\n%s\nwant\n%s", dump(got), dump(tt.want))
			}
		})
	}
}

// dump renders a policy for failure messages.
func dump(p *Policy) string {
	var b strings.Builder
	b.WriteString(p.Kind.String() + " " + p.Version + " " + p.ID + "\n")
	for _, s := range p.Statements {
		b.WriteString("  " + statementString(s) + "\n")
	}
	return b.String()
}

func statementString(v *Statement) string {
	var b strings.Builder
	b.WriteString(v.Effect.String() + " sid=" + v.Sid)
	if v.Principal != nil {
		b.WriteString(" principal=" + principalString(v.Principal))
	}
	if v.NotPrincipal != nil {
		b.WriteString(" notprincipal=" + principalString(v.NotPrincipal))
	}
	b.WriteString(" action=" + strings.Join(v.Action, ",") + " notaction=" + strings.Join(v.NotAction, ","))
	b.WriteString(" resource=" + strings.Join(v.Resource, ",") + " notresource=" + strings.Join(v.NotResource, ","))
	for _, c := range v.Conditions {
		b.WriteString(" " + c.Operator + ":" + c.Key + "=" + strings.Join(c.Values, ","))
	}
	return b.String()
}

func principalString(p *Principal) string {
	if p.All {
		return "*"
	}
	return "aws[" + strings.Join(p.AWS, ",") + "] service[" + strings.Join(p.Service, ",") +
		"] federated[" + strings.Join(p.Federated, ",") + "] canonical[" + strings.Join(p.CanonicalUser, ",") + "]"
}

func TestParseStatementSpans(t *testing.T) {
	doc := "{\n \"Statement\": [\n  {\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"},\n  {\"Effect\":\"Deny\",\"Action\":\"*\",\"Resource\":\"*\"}\n ]\n}"
	p, err := Parse(doc, Identity)
	if err != nil {
		t.Fatal(err)
	}
	for i, text := range []string{`{"Effect":"Allow","Action":"*","Resource":"*"}`, `{"Effect":"Deny","Action":"*","Resource":"*"}`} {
		s := p.Statements[i]
		start := positionOf(t, doc, text)
		end := Position{Offset: start.Offset + len(text), Line: start.Line, Column: start.Column + len(text)}
		if s.Index != i || s.Start != start || s.End != end {
			t.Errorf("statement %d: index %d span %+v–%+v, want %+v–%+v", i, s.Index, s.Start, s.End, start, end)
		}
	}
	if s := p.Statements[1].Start; s.Line != 4 || s.Column != 3 {
		t.Errorf("second statement starts at %+v, want line 4 column 3", s)
	}
}

func TestParseConditionPositions(t *testing.T) {
	doc := "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\",\n\"Condition\":{\"StringEquals\":{\n  \"aws:username\":\"ünïcode\", \"aws:userid\":\"x\"}}}}"
	p, err := Parse(doc, Identity)
	if err != nil {
		t.Fatal(err)
	}
	conds := p.Statements[0].Conditions
	if len(conds) != 2 {
		t.Fatalf("got %d conditions", len(conds))
	}
	for _, c := range conds {
		if want := positionOf(t, doc, `"`+c.Key+`"`); c.Pos != want {
			t.Errorf("%s at %+v, want %+v", c.Key, c.Pos, want)
		}
	}
	// The second key follows multi-byte characters on the same line: its
	// column counts characters, its offset bytes.
	if c := conds[1].Pos; c.Line != 3 || c.Column != 29 || c.Offset != len(doc)-len(`"aws:userid":"x"}}}}`) {
		t.Errorf("aws:userid at %+v", c)
	}
}

// rejectCase is a document that Parse must reject, with the AWS message and
// the place of the fault.
type rejectCase struct {
	name string
	kind Kind
	doc  string
	msg  string
	at   string // marker of the expected error position; "" for offset 0
	end  bool   // the error is at the end of the document
}

// deepDocument nests 40 arrays in a condition value.
var deepDocument = `{"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"a:b":` +
	strings.Repeat("[", 40) + strings.Repeat("]", 40) + `}}}}`

// rejectCases is shared by TestParseRejects and the seed corpus of FuzzParse.
var rejectCases = []rejectCase{
	// JSON syntax.
	{name: "empty document", doc: ``, msg: msgSyntax, end: true},
	{name: "not an object", doc: `["Statement"]`, msg: msgSyntax},
	{name: "trailing garbage", doc: stmt(allowAll) + ` x`, msg: msgSyntax, at: ` x`[1:]},
	{name: "trailing second document", doc: stmt(allowAll) + `{}`, msg: msgSyntax, at: `}}{}`[2:]},
	{name: "unterminated object", doc: `{"Statement":{"Effect":"Allow"`, msg: msgSyntax, end: true},
	{name: "unterminated string", doc: `{"Statement":{"Effect":"Allow`, msg: msgSyntax, end: true},
	{name: "missing colon", doc: `{"Statement" {}}`, msg: msgSyntax, at: `{}}`},
	{name: "missing comma", doc: `{"Version":"2012-10-17" "Statement":{}}`, msg: msgSyntax, at: `"Statement"`},
	{name: "trailing comma in object", doc: `{"Statement":{` + allowAll + `,}}`, msg: msgSyntax, at: `}}`},
	{name: "trailing comma in array", doc: `{"Statement":[{` + allowAll + `},]}`, msg: msgSyntax, at: `]}`},
	{name: "unquoted key", doc: `{Statement:{}}`, msg: msgSyntax, at: `Statement`},
	{name: "single quotes", doc: `{'Statement':{}}`, msg: msgSyntax, at: `'`},
	{name: "comment", doc: "{/* c */\"Statement\":{}}", msg: msgSyntax, at: `/*`},
	{name: "bad literal", doc: stmt(allowAll + `,"Condition":{"Bool":{"aws:SecureTransport":tru}}`), msg: msgSyntax, at: `tru}`},
	{name: "leading zero", doc: stmt(allowAll + `,"Condition":{"NumericEquals":{"s3:max-keys":01}}`), msg: msgSyntax, at: `01}`},
	{name: "bare minus", doc: stmt(allowAll + `,"Condition":{"NumericEquals":{"s3:max-keys":-}}`), msg: msgSyntax, at: `-}`},
	{name: "fraction without digits", doc: stmt(allowAll + `,"Condition":{"NumericEquals":{"s3:max-keys":1.}}`), msg: msgSyntax, at: `1.}`},
	{name: "exponent without digits", doc: stmt(allowAll + `,"Condition":{"NumericEquals":{"s3:max-keys":1e+}}`), msg: msgSyntax, at: `1e+}`},
	{name: "control character in string", doc: "{\"Statement\":{\"Sid\":\"a\tb\"}}", msg: msgSyntax, at: "\t"},
	{name: "invalid escape", doc: `{"Statement":{"Sid":"a\xb"}}`, msg: msgSyntax, at: `\x`},
	{name: "short unicode escape", doc: `{"Statement":{"Sid":"\u12"}}`, msg: msgSyntax, at: `\u`},
	{name: "bad unicode escape", doc: `{"Statement":{"Sid":"\u12G4"}}`, msg: msgSyntax, at: `\u`},
	{name: "escape at end", doc: `{"Statement":{"Sid":"\`, msg: msgSyntax, at: `\`},
	{name: "bad UTF-8 in string", doc: "{\"Statement\":{\"Sid\":\"ab\xff\"}}", msg: msgSyntax, at: "\xff"},
	{name: "UTF-8-encoded surrogate", doc: "{\"Statement\":{\"Sid\":\"\xed\xa0\x80\"}}", msg: msgSyntax, at: "\xed"},
	{name: "bad UTF-8 outside strings", doc: "{\xc3\xa9}", msg: msgSyntax, at: "\xc3"},
	{name: "byte order mark", doc: "\ufeff" + stmt(allowAll), msg: msgSyntax},
	{name: "deep nesting", doc: deepDocument, msg: msgSyntax, at: strings.Repeat("[", 11) + "]"},
	{name: "duplicate top-level key", doc: `{"Version":"2012-10-17","Version":"2012-10-17","Statement":{` + allowAll + `}}`,
		msg: msgSyntax, at: `"Version":"2012-10-17","Statement"`},
	{name: "duplicate statement key", doc: stmt(allowAll + `,"Effect":"Deny"`), msg: msgSyntax, at: `"Effect":"Deny"`},
	{name: "duplicate condition key", doc: stmt(allowAll + `,"Condition":{"Bool":{"aws:SecureTransport":"true","aws:SecureTransport":"false"}}`),
		msg: msgSyntax, at: `"aws:SecureTransport":"false"`},

	// Document structure.
	{name: "missing Statement", doc: `{"Version":"2012-10-17"}`, msg: msgSyntax},
	{name: "empty statement list", doc: `{"Version":"2012-10-17","Statement":[]}`, msg: msgSyntax, at: `[]`},
	{name: "Statement a string", doc: `{"Statement":"x"}`, msg: msgSyntax, at: `"x"`},
	{name: "statement not an object", doc: `{"Statement":[{` + allowAll + `},"x"]}`, msg: msgSyntax, at: `"x"`},
	{name: "unknown top-level element", doc: `{"Statement":{` + allowAll + `},"Extra":1}`, msg: msgSyntax, at: `"Extra"`},
	{name: "version unknown", doc: `{"Version":"2012-10-18","Statement":{` + allowAll + `}}`, msg: msgLegacyParsing, at: `"2012-10-18"`},
	{name: "version a number", doc: `{"Version":2012,"Statement":{` + allowAll + `}}`, msg: msgLegacyParsing, at: `2012`},
	{name: "Id a number", doc: `{"Id":1,"Statement":{` + allowAll + `}}`, msg: msgSyntax, at: `1,`},
	{name: "unknown statement element", doc: stmt(allowAll + `,"Actions":"x"`), msg: msgSyntax, at: `"Actions"`},

	// Sid.
	{name: "Sid with a dash", doc: stmt(`"Sid":"a-b",` + allowAll), msg: msgSidChars, at: `"a-b"`},
	{name: "Sid a number", doc: stmt(`"Sid":1,` + allowAll), msg: msgSyntax, at: `1,`},
	{name: "Sid repeated", doc: `{"Statement":[{"Sid":"A",` + allowAll + `},{"Sid":"A",` + allowAll + `}]}`, msg: msgSidUnique, at: `{"Sid":"A",` + allowAll + `}]`},
	{name: "Sid repeated in trust policy", kind: Trust, doc: `{"Statement":[{"Sid":"A",` + trustStmt + `},{"Sid":"A",` + trustStmt + `}]}`,
		msg: msgSidUnique, at: `{"Sid":"A",` + trustStmt + `}]`},

	// Effect.
	{name: "CRLF and tabs before the fault", doc: "{\r\n\t\"Statement\": {\r\n\t\t\"Effect\": \"Deny \"}}", msg: msgSyntax, at: `"Deny "`},
	{name: "missing Effect", doc: stmt(`"Action":"*","Resource":"*"`), msg: msgSyntax, at: `{"Action"`},
	{name: "Effect lower case", doc: stmt(`"Effect":"allow","Action":"*","Resource":"*"`), msg: msgSyntax, at: `"allow"`},
	{name: "Effect array", doc: stmt(`"Effect":["Allow"],"Action":"*","Resource":"*"`), msg: msgSyntax, at: `["Allow"]`},

	// Action.
	{name: "missing Action", doc: stmt(`"Effect":"Allow","Resource":"*"`), msg: msgNoActions, at: `{"Effect"`},
	{name: "Action and NotAction", doc: stmt(allowAll + `,"NotAction":"s3:PutObject"`), msg: msgSyntax, at: `"NotAction"`},
	{name: "empty Action list", doc: stmt(`"Effect":"Allow","Action":[],"Resource":"*"`), msg: msgNoActions, at: `[]`},
	{name: "Action without vendor", doc: stmt(`"Effect":"Allow","Action":"GetObject","Resource":"*"`), msg: msgVendor, at: `"GetObject"`},
	{name: "Action empty vendor", doc: stmt(`"Effect":"Allow","Action":[":GetObject"],"Resource":"*"`), msg: msgVendor, at: `":GetObject"`},
	{name: "Action empty name", doc: stmt(`"Effect":"Allow","Action":"s3:","Resource":"*"`), msg: msgVendor, at: `"s3:"`},
	{name: "Action a number", doc: stmt(`"Effect":"Allow","Action":["s3:x",1],"Resource":"*"`), msg: msgSyntax, at: `1]`},
	{name: "Action an object", doc: stmt(`"Effect":"Allow","Action":{},"Resource":"*"`), msg: msgSyntax, at: `{},`},

	// Resource.
	{name: "missing Resource", doc: stmt(`"Effect":"Allow","Action":"*"`), msg: msgNoResources, at: `{"Effect"`},
	{name: "missing Resource in resource policy", kind: Resource, doc: stmt(`"Effect":"Allow","Principal":"*","Action":"*"`), msg: msgNoResources, at: `{"Effect"`},
	{name: "Resource and NotResource", doc: stmt(allowAll + `,"NotResource":"*"`), msg: msgSyntax, at: `"NotResource"`},
	{name: "empty Resource list", doc: stmt(`"Effect":"Allow","Action":"*","Resource":[]`), msg: msgNoResources, at: `[]`},
	{name: "Resource not an ARN", doc: stmt(`"Effect":"Allow","Action":"*","Resource":"bucket/key"`),
		msg: `Resource bucket/key must be in ARN format or "*".`, at: `"bucket/key"`},
	{name: "NotResource not an ARN", doc: stmt(`"Effect":"Allow","Action":"*","NotResource":["arn:aws:s3:::b","b"]`),
		msg: `Resource b must be in ARN format or "*".`, at: `"b"]`},
	{name: "Resource in trust policy", kind: Trust, doc: stmt(trustStmt + `,"Resource":"*"`), msg: "Has prohibited field Resource", at: `"Resource"`},
	{name: "NotResource in trust policy", kind: Trust, doc: stmt(trustStmt + `,"NotResource":"*"`), msg: "Has prohibited field NotResource", at: `"NotResource"`},

	// Principal.
	{name: "Principal in identity policy", doc: stmt(allowAll + `,"Principal":"*"`), msg: msgNoPrincipal, at: `"Principal"`},
	{name: "NotPrincipal in identity policy", doc: stmt(allowAll + `,"NotPrincipal":"*"`), msg: msgNoPrincipal, at: `"NotPrincipal"`},
	{name: "Principal in SCP", kind: SCP, doc: stmt(allowAll + `,"Principal":"*"`), msg: msgNoPrincipal, at: `"Principal"`},
	{name: "missing Principal in resource policy", kind: Resource, doc: stmt(bucketStmt), msg: msgMissingPrincipal, at: `{"Effect"`},
	{name: "missing Principal in trust policy", kind: Trust, doc: stmt(`"Effect":"Allow","Action":"sts:AssumeRole"`), msg: msgMissingPrincipal, at: `{"Effect"`},
	{name: "missing Principal in RCP", kind: RCP, doc: stmt(allowAll), msg: msgMissingPrincipal, at: `{"Effect"`},
	{name: "NotPrincipal in trust policy", kind: Trust, doc: stmt(`"Effect":"Deny","Action":"sts:AssumeRole","NotPrincipal":{"AWS":"123456789012"}`),
		msg: "Has prohibited field NotPrincipal", at: `"NotPrincipal"`},
	{name: "NotPrincipal in RCP", kind: RCP, doc: stmt(`"Effect":"Deny","Action":"s3:*","Resource":"*","NotPrincipal":"*"`),
		msg: "Has prohibited field NotPrincipal", at: `"NotPrincipal"`},
	{name: "Principal and NotPrincipal", kind: Resource, doc: stmt(bucketStmt + `,"Principal":"*","NotPrincipal":"*"`), msg: msgSyntax, at: `"NotPrincipal"`},
	{name: "RCP principal not *", kind: RCP, doc: stmt(`"Effect":"Deny","Principal":{"AWS":"123456789012"},"Action":"s3:*","Resource":"*"`),
		msg: `Invalid principal in policy: resource control policies must use "Principal": "*"`, at: `{"AWS"`},
	{name: "Principal a plain string", kind: Resource, doc: stmt(bucketStmt + `,"Principal":"123456789012"`),
		msg: `Invalid principal in policy: "123456789012"`, at: `"123456789012"`},
	{name: "Principal empty object", kind: Resource, doc: stmt(bucketStmt + `,"Principal":{}`), msg: msgSyntax, at: `{}`},
	{name: "Principal an array", kind: Resource, doc: stmt(bucketStmt + `,"Principal":["*"]`), msg: msgSyntax, at: `["*"]`},
	{name: "unknown principal type", kind: Resource, doc: stmt(bucketStmt + `,"Principal":{"Users":"alice"}`),
		msg: `Invalid principal in policy: unknown principal type "Users"`, at: `"Users"`},
	{name: "AWS principal not an ARN", kind: Resource, doc: stmt(bucketStmt + `,"Principal":{"AWS":"alice"}`),
		msg: `Invalid principal in policy: "AWS":"alice"`, at: `"alice"`},
	{name: "AWS principal short account", kind: Resource, doc: stmt(bucketStmt + `,"Principal":{"AWS":"12345678901"}`),
		msg: `Invalid principal in policy: "AWS":"12345678901"`, at: `"12345678901"`},
	{name: "AWS principal partial wildcard", kind: Resource, doc: stmt(bucketStmt + `,"Principal":{"AWS":["123456789012","arn:aws:iam::123456789012:user/*"]}`),
		msg: `Invalid principal in policy: "AWS":"arn:aws:iam::123456789012:user/*"`, at: `"arn:aws:iam::123456789012:user/*"`},
	{name: "AWS principal truncated ARN", kind: Resource, doc: stmt(bucketStmt + `,"Principal":{"AWS":"arn:aws:iam::123456789012"}`),
		msg: `Invalid principal in policy: "AWS":"arn:aws:iam::123456789012"`, at: `"arn:aws:iam::123456789012"`},
	{name: "Service principal wildcard", kind: Resource, doc: stmt(bucketStmt + `,"Principal":{"Service":"*.amazonaws.com"}`),
		msg: `Invalid principal in policy: "Service":"*.amazonaws.com"`, at: `"*.amazonaws.com"`},
	{name: "empty principal id", kind: Resource, doc: stmt(bucketStmt + `,"Principal":{"AWS":""}`),
		msg: `Invalid principal in policy: "AWS":""`, at: `""`},
	{name: "principal id a number", kind: Resource, doc: stmt(bucketStmt + `,"Principal":{"AWS":123456789012}`), msg: msgSyntax, at: `123456789012}`},

	// Condition.
	{name: "Condition an array", doc: stmt(allowAll + `,"Condition":[]`), msg: msgSyntax, at: `[]`},
	{name: "unknown condition operator", doc: stmt(allowAll + `,"Condition":{"StringEqual":{"aws:username":"a"}}`),
		msg: "Invalid Condition type : StringEqual", at: `"StringEqual"`},
	{name: "operator names are case-sensitive", doc: stmt(allowAll + `,"Condition":{"stringequals":{"aws:username":"a"}}`),
		msg: "Invalid Condition type : stringequals", at: `"stringequals"`},
	{name: "Null with IfExists", doc: stmt(allowAll + `,"Condition":{"NullIfExists":{"aws:username":"true"}}`),
		msg: "Invalid Condition type : NullIfExists", at: `"NullIfExists"`},
	{name: "ForAllValues:Null", doc: stmt(allowAll + `,"Condition":{"ForAllValues:Null":{"aws:TagKeys":"true"}}`),
		msg: "Invalid Condition type : ForAllValues:Null", at: `"ForAllValues:Null"`},
	{name: "ForAnyValue:Null", doc: stmt(allowAll + `,"Condition":{"ForAnyValue:Null":{"aws:TagKeys":"true"}}`),
		msg: "Invalid Condition type : ForAnyValue:Null", at: `"ForAnyValue:Null"`},
	{name: "two set qualifiers", doc: stmt(allowAll + `,"Condition":{"ForAnyValue:ForAllValues:StringLike":{"aws:TagKeys":"a"}}`),
		msg: "Invalid Condition type : ForAnyValue:ForAllValues:StringLike", at: `"ForAnyValue:`},
	{name: "IfExists alone", doc: stmt(allowAll + `,"Condition":{"IfExists":{"aws:TagKeys":"a"}}`),
		msg: "Invalid Condition type : IfExists", at: `"IfExists"`},
	{name: "operator value a string", doc: stmt(allowAll + `,"Condition":{"StringEquals":"a"}`), msg: msgSyntax, at: `"a"}`},
	{name: "condition key without vendor", doc: stmt(allowAll + `,"Condition":{"StringEquals":{"username":"a"}}`),
		msg: msgConditionVendor, at: `"username"`},
	{name: "condition key with empty name", doc: stmt(allowAll + `,"Condition":{"StringEquals":{"aws:":"a"}}`),
		msg: msgConditionVendor, at: `"aws:"`},
	{name: "condition value empty array", doc: stmt(allowAll + `,"Condition":{"StringEquals":{"aws:username":[]}}`), msg: msgSyntax, at: `[]`},
	{name: "condition value object", doc: stmt(allowAll + `,"Condition":{"StringEquals":{"aws:username":{}}}`), msg: msgSyntax, at: `{}}`},
	{name: "condition value null", doc: stmt(allowAll + `,"Condition":{"StringEquals":{"aws:username":null}}`), msg: msgSyntax, at: `null`},
	{name: "condition value nested array", doc: stmt(allowAll + `,"Condition":{"StringEquals":{"aws:username":["a",["b"]]}}`), msg: msgSyntax, at: `["b"]`},
}

func TestParseRejects(t *testing.T) {
	for _, tt := range rejectCases {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse(tt.doc, tt.kind)
			if err == nil {
				t.Fatalf("accepted: %+v", p)
			}
			var perr *Error
			if !errors.As(err, &perr) {
				t.Fatalf("error %T %v is not a *Error", err, err)
			}
			if perr.Message != tt.msg {
				t.Errorf("message %q, want %q (detail %q)", perr.Message, tt.msg, perr.Detail)
			}
			var want Position
			switch {
			case tt.end:
				want = Position{Offset: len(tt.doc), Line: 1 + strings.Count(tt.doc, "\n"), Column: 1 + len([]rune(tt.doc))}
			case tt.at != "":
				want = positionOf(t, tt.doc, tt.at)
			default:
				want = Position{Line: 1, Column: 1}
			}
			if perr.Pos != want {
				t.Errorf("error at %+v, want %+v (%v)", perr.Pos, want, err)
			}
		})
	}
}

func TestErrorString(t *testing.T) {
	_, err := Parse("{\n  \"Statement\": {\"Effect\": \"allow\"}}", Identity)
	want := `Syntax errors in policy. (Effect must be "Allow" or "Deny" at line 2, column 27)`
	if err == nil || err.Error() != want {
		t.Errorf("Error() = %v, want %s", err, want)
	}
	_, err = Parse(stmt(allowAll+`,"Principal":"*"`), Identity)
	if err == nil || err.Error() != msgNoPrincipal {
		t.Errorf("Error() = %v, want %s", err, msgNoPrincipal)
	}
}

func TestKindAndEffectNames(t *testing.T) {
	names := map[Kind]string{Identity: "identity", Resource: "resource", Trust: "trust", SCP: "scp", RCP: "rcp", Any: "any"}
	for k, want := range names {
		if k.String() != want {
			t.Errorf("Kind(%d).String() = %q, want %q", k, k.String(), want)
		}
	}
	if Allow.String() != "Allow" || Deny.String() != "Deny" {
		t.Errorf("Effect names %q %q", Allow, Deny)
	}
}
