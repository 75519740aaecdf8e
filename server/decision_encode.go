package server

import (
	"slices"
	"strconv"
	"sync"

	"github.com/gatehouse-iam/gatehouse/authz"
	"github.com/gatehouse-iam/gatehouse/internal/jsontext"
	"github.com/gatehouse-iam/gatehouse/policy"
)

// The decision API's answers, written byte for byte as encoding/json writes
// singleAnswer and batchAnswer (HTML-safe strings, omitempty fields left
// out) with evaldoc.Result, the form `gatehouse eval` prints, for each
// decision, without reflection.

// encodedAnswer is an answer encoded as JSON, with the trailing newline
// json.Encoder writes, in a buffer from answerBuffers.
type encodedAnswer struct{ buf *[]byte }

// answerBuffers recycles the buffers answers are encoded in (a batch's
// answer is tens of kilobytes).
var answerBuffers = sync.Pool{New: func() any { return new([]byte) }}

// maxPooledAnswer is the largest buffer kept for reuse; those of rarer,
// larger answers are left to the garbage collector.
const maxPooledAnswer = 1 << 20

// newAnswerBuffer returns an empty buffer with room for at least n bytes.
func newAnswerBuffer(n int) *[]byte {
	p := answerBuffers.Get().(*[]byte)
	*p = slices.Grow((*p)[:0], n)
	return p
}

// release hands the answer's buffer back for reuse, once it is written.
func (a encodedAnswer) release() {
	if cap(*a.buf) <= maxPooledAnswer {
		answerBuffers.Put(a.buf)
	}
}

// appendPrincipal appends {"principal":{…} — the answer's opening.
func appendPrincipal(b []byte, p answerPrincipal) []byte {
	b = append(b, `{"principal":{"arn":`...)
	b = jsontext.AppendString(b, p.ARN)
	b = append(b, `,"account":`...)
	b = jsontext.AppendString(b, p.Account)
	b = append(b, `,"type":`...)
	b = jsontext.AppendString(b, p.Type)
	return append(b, '}')
}

// decisionWriter writes decisions into answers, keeping a buffer for their
// AccessDenied messages from one to the next, and the last matched
// statement written: the decisions of a batch often match the same one.
type decisionWriter struct {
	msg      []byte
	stmt     authz.MatchedStatement
	stmtJSON []byte // stmt's encoding; empty before the first
	// heads are, by decision, the last decision and reason members written
	// and the reason they were written for: the decisions of a batch often
	// share their reason.
	heads [authz.ExplicitDeny + 1]struct {
		reason string
		json   []byte
	}
}

// newDecisionWriter returns a writer whose buffers share one allocation,
// with room for the usual messages, statements and reasons (a longer one
// grows its own).
func newDecisionWriter() *decisionWriter {
	const msgRoom, stmtRoom, headRoom = 320, 256, 96
	w := new(decisionWriter)
	buf := make([]byte, msgRoom+stmtRoom+len(w.heads)*headRoom)
	w.msg, buf = buf[:0:msgRoom], buf[msgRoom:]
	w.stmtJSON, buf = buf[:0:stmtRoom], buf[stmtRoom:]
	for i := range w.heads {
		w.heads[i].json, buf = buf[:0:headRoom], buf[headRoom:]
	}
	return w
}

// appendDecision appends a decision's fields, without braces: what
// encoding/json writes for evaldoc.ResultOf(d, ex, r), written from the
// explanation without making the Result.
func (w *decisionWriter) appendDecision(b []byte, d authz.Decision, ex *authz.Explanation, r *authz.Request) []byte {
	b = w.appendHead(b, d, ex.Reason)
	if ex.Detail != "" {
		b = append(b, `,"detail":`...)
		b = jsontext.AppendString(b, ex.Detail)
	}
	if d != authz.Allow {
		// Never empty, so never left out.
		w.msg = ex.AppendMessage(w.msg[:0], r)
		b = append(b, `,"message":`...)
		b = jsontext.AppendBytes(b, w.msg)
	}
	b = append(b, `,"decided_by":`...)
	if t := ex.DecidedBy; int(t) < len(policyTypeJSON) {
		b = append(b, policyTypeJSON[t]...)
	} else {
		b = jsontext.AppendString(b, t.String())
	}
	if ex.Level != "" {
		b = append(b, `,"level":`...)
		b = jsontext.AppendString(b, ex.Level)
	}
	b = append(b, `,"matched_statements":[`...)
	for i := range ex.Statements {
		if i > 0 {
			b = append(b, ',')
		}
		if st := &ex.Statements[i]; len(w.stmtJSON) == 0 || *st != w.stmt {
			w.stmt, w.stmtJSON = *st, appendStatement(w.stmtJSON[:0], st)
		}
		b = append(b, w.stmtJSON...)
	}
	b = append(b, `],"missing_context_keys":[`...)
	for i, k := range ex.MissingKeys {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsontext.AppendString(b, k)
	}
	return append(b, ']')
}

// appendHead appends a decision's first members, decision and reason,
// copied from the last decision of the kind when its reason was the same.
func (w *decisionWriter) appendHead(b []byte, d authz.Decision, reason string) []byte {
	if int(d) >= len(w.heads) {
		return appendHead(b, d, reason)
	}
	if h := &w.heads[d]; len(h.json) == 0 || h.reason != reason {
		h.reason, h.json = reason, appendHead(h.json[:0], d, reason)
	}
	return append(b, w.heads[d].json...)
}

// appendHead appends a decision's first members, decision and reason.
func appendHead(b []byte, d authz.Decision, reason string) []byte {
	b = append(b, `"decision":`...)
	b = jsontext.AppendString(b, d.String())
	b = append(b, `,"reason":`...)
	return jsontext.AppendString(b, reason)
}

// policyTypeJSON are the policy types' names as JSON strings.
var policyTypeJSON = func() (t [authz.Session + 1]string) {
	for i := range t {
		t[i] = string(jsontext.AppendString(nil, authz.PolicyType(i).String()))
	}
	return t
}()

// appendStatement appends a matched statement as evaldoc.Statement.
func appendStatement(b []byte, s *authz.MatchedStatement) []byte {
	b = append(b, `{"policy_type":`...)
	b = jsontext.AppendString(b, s.PolicyType.String())
	b = append(b, `,"policy_id":`...)
	b = jsontext.AppendString(b, s.PolicyID)
	if s.Level != "" {
		b = append(b, `,"level":`...)
		b = jsontext.AppendString(b, s.Level)
	}
	b = append(b, `,"index":`...)
	b = strconv.AppendInt(b, int64(s.Index), 10)
	if s.Sid != "" {
		b = append(b, `,"sid":`...)
		b = jsontext.AppendString(b, s.Sid)
	}
	b = append(b, `,"effect":`...)
	b = jsontext.AppendString(b, s.Effect.String())
	b = append(b, `,"start":`...)
	b = appendPosition(b, s.Start)
	b = append(b, `,"end":`...)
	b = appendPosition(b, s.End)
	return append(b, '}')
}

// appendPosition appends a position in a policy document.
func appendPosition(b []byte, p policy.Position) []byte {
	b = append(b, `{"offset":`...)
	b = strconv.AppendInt(b, int64(p.Offset), 10)
	b = append(b, `,"line":`...)
	b = strconv.AppendInt(b, int64(p.Line), 10)
	b = append(b, `,"column":`...)
	b = strconv.AppendInt(b, int64(p.Column), 10)
	return append(b, '}')
}
