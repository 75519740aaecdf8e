package server

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/gatehouse-iam/gatehouse/audit"
	"github.com/gatehouse-iam/gatehouse/authz"
	"github.com/gatehouse-iam/gatehouse/evaldoc"
	"github.com/gatehouse-iam/gatehouse/policy"
)

// The answers' shapes as encoding/json writes them: the reference for the
// hand-written encoder.
type (
	singleAnswer struct {
		Principal answerPrincipal `json:"principal"`
		evaldoc.Result
	}
	batchAnswer struct {
		Principal answerPrincipal  `json:"principal"`
		Results   []evaldoc.Result `json:"results"`
	}
)

// encodeWithJSON is what json.Encoder writes for v.
func encodeWithJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b) + "\n"
}

// decided is one evaluation's outcome, as authorizeAPI encodes it.
type decided struct {
	d  authz.Decision
	ex *authz.Explanation
	r  *authz.Request
}

// encodeAnswer encodes decisions as authorizeAPI does.
func encodeAnswer(p answerPrincipal, batch bool, ds []decided) string {
	w := newDecisionWriter()
	b := appendPrincipal(nil, p)
	if !batch {
		b = append(b, ',')
		return string(w.appendDecision(b, ds[0].d, ds[0].ex, ds[0].r)) + "}\n"
	}
	b = append(b, `,"results":[`...)
	for i, d := range ds {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '{')
		b = w.appendDecision(b, d.d, d.ex, d.r)
		b = append(b, '}')
	}
	return string(b) + "]}\n"
}

// awkward is a string with everything encoding/json escapes.
const awkward = "a\"b\\c/<d>&e\x00\x01\b\f\n\r\t\x1f\x7f é 日本 \u2028\u2029 \xff\xed\xa0\x80 😀"

// TestAppendDecision checks the answers against encoding/json's encoding
// of evaldoc.ResultOf, the form `gatehouse eval` prints.
func TestAppendDecision(t *testing.T) {
	// Every field of Result and Statement is written below; a field added
	// to either must be added to the encoder and here.
	if n := reflect.TypeFor[evaldoc.Result]().NumField(); n != 8 {
		t.Fatalf("evaldoc.Result has %d fields; the encoder writes 8", n)
	}
	if n := reflect.TypeFor[evaldoc.Statement]().NumField(); n != 8 {
		t.Fatalf("evaldoc.Statement has %d fields; the encoder writes 8", n)
	}
	user := &authz.Principal{ARN: "arn:aws:iam::123456789012:user/alice"}
	full := decided{authz.ExplicitDeny, &authz.Explanation{Decision: authz.ExplicitDeny, DecidedBy: authz.SCP, Level: "ou-ab12-11111111",
		Reason: "with an explicit deny in a service control policy", Detail: awkward,
		Statements: []authz.MatchedStatement{
			{PolicyType: authz.SCP, PolicyID: "p-1", Level: "r-root", Index: 2, Sid: "Deny&Log", Effect: policy.Deny,
				Start: policy.Position{Offset: 10, Line: 2, Column: 3}, End: policy.Position{Offset: 1234, Line: 40, Column: 1}},
			{PolicyType: authz.Identity, PolicyID: "arn:aws:iam::1:policy/x", Index: 0, Effect: policy.Allow},
		},
		MissingKeys: []string{"aws:sourceip", awkward}},
		&authz.Request{Principal: &authz.Principal{ARN: "arn:aws:iam::1:user/a<b>"}, Action: "s3:GetObject", Resource: awkward}}
	bare := decided{authz.Allow, &authz.Explanation{Decision: authz.Allow, DecidedBy: authz.Identity, Reason: "allowed by an identity-based policy"},
		&authz.Request{Principal: user, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k"}}
	implicit := decided{authz.ImplicitDeny, &authz.Explanation{Decision: authz.ImplicitDeny, DecidedBy: authz.Identity,
		Reason: "because no identity-based policy allows the s3:PutObject action", Statements: []authz.MatchedStatement{}, MissingKeys: []string{}},
		&authz.Request{Principal: user, Action: "s3:PutObject", Resource: "*"}}
	boundary := decided{authz.ImplicitDeny, &authz.Explanation{Decision: authz.ImplicitDeny, DecidedBy: authz.Boundary,
		Reason: "because no permissions boundary allows the s3:GetObject action"},
		&authz.Request{Principal: user, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k"}}
	single := decided{authz.Allow, &authz.Explanation{Decision: authz.Allow, DecidedBy: authz.Identity, Reason: "allowed by an identity-based policy",
		Statements: full.ex.Statements[1:], MissingKeys: []string{}}, bare.r}
	anonymous := decided{authz.ImplicitDeny, &authz.Explanation{}, &authz.Request{}}
	p := answerPrincipal{ARN: "arn:aws:iam::123456789012:user/alice", Account: "123456789012", Type: "iam_user"}
	odd := answerPrincipal{ARN: awkward, Type: "assumed_role"}
	for _, tt := range []struct {
		name string
		p    answerPrincipal
		ds   []decided
	}{
		{"full", p, []decided{full}},
		{"bare", p, []decided{bare}},
		{"implicit", p, []decided{implicit}},
		{"anonymous", odd, []decided{anonymous}},
		{"batch", p, []decided{bare, full, implicit, anonymous}},
		{"repeated statements and reasons", p, []decided{single, single, full, full, implicit, single, bare, full, single,
			implicit, boundary, boundary, implicit}},
	} {
		results := make([]evaldoc.Result, len(tt.ds))
		for i, d := range tt.ds {
			results[i] = evaldoc.ResultOf(d.d, d.ex, d.r)
		}
		if got, want := encodeAnswer(tt.p, false, tt.ds), encodeWithJSON(t, singleAnswer{tt.p, results[0]}); got != want {
			t.Errorf("%s single:\n got %s\nwant %s", tt.name, got, want)
		}
		if got, want := encodeAnswer(tt.p, true, tt.ds), encodeWithJSON(t, batchAnswer{tt.p, results}); got != want {
			t.Errorf("%s batch:\n got %s\nwant %s", tt.name, got, want)
		}
	}
}

// TestAuditDecisionsJSON checks the audit record's decision list against
// encoding/json.
func TestAuditDecisionsJSON(t *testing.T) {
	for _, ds := range []auditDecisions{nil, {}, {{Action: "s3:GetObject", Resource: "arn:aws:s3:::b/<k>&\u2028", Decision: "allow"},
		{Action: "s3:PutObject", Resource: "arn:aws:s3:::b/\xff", Decision: "implicit_deny"}}} {
		want, _ := json.Marshal([]auditDecision(ds))
		if got := ds.AppendJSON(nil); string(got) != string(want) {
			t.Errorf("AppendJSON = %s, want %s", got, want)
		}
	}
	var _ audit.JSONAppender = auditDecisions(nil)
}
