package server

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/gatehouse-iam/gatehouse/audit"
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

// encodeAnswer encodes results as authorizeAPI does.
func encodeAnswer(p answerPrincipal, batch bool, results []evaldoc.Result) string {
	b := appendPrincipal(nil, p)
	if !batch {
		b = append(b, ',')
		return string(appendResultFields(b, &results[0])) + "}\n"
	}
	b = append(b, `,"results":[`...)
	for i := range results {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '{')
		b = appendResultFields(b, &results[i])
		b = append(b, '}')
	}
	return string(b) + "]}\n"
}

// awkward is a string with everything encoding/json escapes.
const awkward = "a\"b\\c/<d>&e\x00\x01\b\f\n\r\t\x1f\x7f é 日本 \u2028\u2029 \xff\xed\xa0\x80 😀"

func TestAppendResult(t *testing.T) {
	// Every field of Result and Statement is set in full below; a field
	// added to either must be added to the encoder and here.
	if n := reflect.TypeFor[evaldoc.Result]().NumField(); n != 8 {
		t.Fatalf("evaldoc.Result has %d fields; the encoder writes 8", n)
	}
	if n := reflect.TypeFor[evaldoc.Statement]().NumField(); n != 8 {
		t.Fatalf("evaldoc.Statement has %d fields; the encoder writes 8", n)
	}
	full := evaldoc.Result{Decision: "explicit_deny", Reason: "with an explicit deny in a service control policy", Detail: awkward,
		Message: "User: arn:aws:iam::1:user/a<b> is not authorized", DecidedBy: "scp", Level: "ou-ab12-11111111",
		Statements: []evaldoc.Statement{
			{PolicyType: "scp", PolicyID: "p-1", Level: "r-root", Index: 2, Sid: "Deny&Log", Effect: "Deny",
				Start: policy.Position{Offset: 10, Line: 2, Column: 3}, End: policy.Position{Offset: 1234, Line: 40, Column: 1}},
			{PolicyType: "identity", PolicyID: "arn:aws:iam::1:policy/x", Index: 0, Effect: "Allow"},
		},
		MissingKeys: []string{"aws:sourceip", awkward}}
	bare := evaldoc.Result{Decision: "allow", Reason: "allowed by an identity-based policy", DecidedBy: "identity",
		Statements: []evaldoc.Statement{}, MissingKeys: []string{}}
	nils := evaldoc.Result{}
	p := answerPrincipal{ARN: "arn:aws:iam::123456789012:user/alice", Account: "123456789012", Type: "iam_user"}
	odd := answerPrincipal{ARN: awkward, Type: "assumed_role"}
	for _, tt := range []struct {
		name    string
		p       answerPrincipal
		results []evaldoc.Result
	}{
		{"full", p, []evaldoc.Result{full}},
		{"bare", p, []evaldoc.Result{bare}},
		{"nil lists", odd, []evaldoc.Result{nils}},
		{"batch", p, []evaldoc.Result{bare, full, nils}},
	} {
		if got, want := encodeAnswer(tt.p, false, tt.results), encodeWithJSON(t, singleAnswer{tt.p, tt.results[0]}); got != want {
			t.Errorf("%s single:\n got %s\nwant %s", tt.name, got, want)
		}
		if got, want := encodeAnswer(tt.p, true, tt.results), encodeWithJSON(t, batchAnswer{tt.p, tt.results}); got != want {
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
