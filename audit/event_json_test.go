package audit

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/authz"
	"github.com/gatehouse-iam/gatehouse/awserr"
)

// escapes holds every case of encoding/json's string escaping: quote and
// backslash, the named control characters, other control characters, the
// HTML characters, DEL (not escaped), U+2028 and U+2029, invalid UTF-8
// (a stray continuation byte, a truncated sequence, an overlong encoding, a
// surrogate) and valid multi-byte text.
const escapes = "q\"b\\s/\b\f\n\r\t\x00\x01\x1f<a>&\x7f\u2028\u2029\x80\xe2\x82\xc0\xaf\xed\xa0\x80é€😀 end"

// eventCall is a call at a fixed time, as the server records it, by caller
// (nil: unauthenticated).
func eventCall(caller *authz.Principal) *Call {
	c := &Call{Service: "iam", OpName: "GetUser", AccountID: "123456789012", Region: "eu-west-1", RequestID: "req-1",
		SourceIP: "192.0.2.7", UserAgent: "aws-sdk-go-v2/1.47.7 os/linux", Time: time.Date(2026, 11, 23, 16, 4, 5, 0, time.UTC),
		AccessKeyID: "AKIAEXAMPLE", Caller: caller}
	if caller == nil {
		c.AccessKeyID = ""
	}
	return c
}

// sessionAt is a session created at a fixed time.
func sessionAt(s Session) *Session {
	s.Created = time.Date(2026, 11, 23, 15, 0, 0, 0, time.UTC)
	return &s
}

func TestAppendJSONMatchesMarshal(t *testing.T) {
	user := &authz.Principal{Type: authz.User, Account: "123456789012", ID: "AIDAEXAMPLE", Username: "alice",
		ARN: "arn:aws:iam::123456789012:user/alice"}
	role := &authz.Principal{Type: authz.AssumedRole, Account: "123456789012", ID: "AROAEXAMPLE", SessionName: "build",
		ARN: "arn:aws:sts::123456789012:assumed-role/deploy/build", RoleARN: "arn:aws:iam::123456789012:role/ci/deploy"}
	root := &authz.Principal{Type: authz.Root, Account: "123456789012", ARN: "arn:aws:iam::123456789012:root"}
	federated := &authz.Principal{Type: authz.FederatedUser, Account: "123456789012", SessionName: "bob",
		ARN: "arn:aws:sts::123456789012:federated-user/bob"}
	webIdentity := &authz.Principal{Type: authz.IdentityProvider, Account: "123456789012",
		Provider: "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"}
	service := &authz.Principal{Type: authz.Service, Service: "cloudtrail.amazonaws.com"}

	tests := []struct {
		name string
		call func() *Call
	}{
		{"IAM user", func() *Call { return eventCall(user) }},
		{"assumed-role session", func() *Call {
			c := eventCall(role)
			c.OpName, c.AccessKeyID = "CreateUser", "ASIAEXAMPLE"
			c.Session = sessionAt(Session{IssuerType: "Role", IssuerARN: role.RoleARN, IssuerID: "AROAEXAMPLE",
				IssuerAccount: "123456789012", IssuerName: "deploy", MFA: true, SourceIdentity: "alice@example.com"})
			c.Parameters = map[string]any{"userName": "carol", "path": "/"}
			c.Response = map[string]any{"user": map[string]any{"userName": "carol", "userId": "AIDACAROL",
				"createDate": "Nov 23, 2026, 4:04:05 PM", "tags": []any{map[string]any{"key": "team", "value": "<ops>"}}}}
			return c
		}},
		{"root", func() *Call { return eventCall(root) }},
		{"failed authentication", func() *Call {
			c := eventCall(nil)
			c.AccountID = ""
			c.Err = awserr.New("InvalidClientTokenId", "The security token included in the request is invalid.")
			return c
		}},
		{"internal failure", func() *Call {
			c := eventCall(user)
			c.Err = errors.New("disk on fire")
			return c
		}},
		{"federated user session without issuer", func() *Call {
			c := eventCall(federated)
			c.Session = sessionAt(Session{})
			return c
		}},
		{"federated user session issued by a user", func() *Call {
			c := eventCall(federated)
			c.Session = sessionAt(Session{IssuerType: "IAMUser", IssuerARN: user.ARN, IssuerAccount: "123456789012",
				IssuerName: "alice"})
			return c
		}},
		{"web identity", func() *Call {
			c := eventCall(webIdentity)
			c.Service, c.OpName = "sts", "AssumeRoleWithWebIdentity"
			return c
		}},
		{"service", func() *Call { return eventCall(service) }},
		{"empty non-nil maps", func() *Call {
			c := eventCall(user)
			c.Parameters, c.Response = map[string]any{}, map[string]any{}
			return c
		}},
		{"numbers, nulls and nesting in maps", func() *Call {
			c := eventCall(user)
			c.Parameters = map[string]any{"z": int64(-7), "a": 1e21, "m": 1.5e-7, "n": json.Number("12.50"), "nil": nil,
				"t": true, "list": []any{}, "nested": map[string]any{"b": []any{"x", 2.0, false, nil}, "a": map[string]any{}},
				escapes: escapes}
			return c
		}},
		{"every kind of value in maps", func() *Call {
			c := eventCall(user)
			many := map[string]any{}
			for _, k := range []string{"é", "b", "a", "Z", "_", "aa", "a\x00", "<", "10", "9", escapes, ""} {
				many[k] = k
			}
			c.Parameters = map[string]any{"int": 42, "int64": int64(-1 << 63), "float": 0.1, "nilList": []any(nil),
				"nilMap": map[string]any(nil), "list": []any{[]any{}, map[string]any{"k": nil}, many, int64(3), "s"},
				"struct": struct {
					A string `json:"a"`
					B []int
				}{A: escapes}, "strings": []string{"x"}, "bytes": []byte("pw"), "many": many}
			c.Response = map[string]any{"deep": nested(maxDepth * 2)}
			return c
		}},
		{"escaping in every string", func() *Call {
			p := &authz.Principal{Type: authz.AssumedRole, Account: escapes, ID: escapes, SessionName: escapes, ARN: escapes}
			c := &Call{Service: escapes, OpName: escapes, AccountID: escapes, Region: escapes, RequestID: escapes,
				SourceIP: escapes, UserAgent: escapes, AccessKeyID: escapes, Caller: p, Err: awserr.New(escapes, escapes),
				Session: sessionAt(Session{IssuerType: escapes, IssuerARN: escapes, IssuerID: escapes,
					IssuerAccount: escapes, IssuerName: escapes, SourceIdentity: escapes})}
			return c
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := NewEvent(tt.call(), "4f0e6c2a-1b7d-4e39-9c61-0a2b3c4d5e6f")
			compareJSON(t, ev)
		})
	}
	t.Run("zero event", func(t *testing.T) { compareJSON(t, &Event{}) })
	t.Run("zero session context", func(t *testing.T) {
		compareJSON(t, &Event{UserIdentity: UserIdentity{SessionContext: &SessionContext{}}})
	})
	t.Run("zero session issuer", func(t *testing.T) {
		compareJSON(t, &Event{UserIdentity: UserIdentity{SessionContext: &SessionContext{SessionIssuer: &SessionIssuer{}}}})
	})
}

func TestSizeHint(t *testing.T) {
	role := &authz.Principal{Type: authz.AssumedRole, Account: "123456789012", ID: "AROAEXAMPLE", SessionName: "build",
		ARN: "arn:aws:sts::123456789012:assumed-role/deploy/build"}
	session := eventCall(role)
	session.Err = awserr.New("AccessDenied", "no")
	session.Session = sessionAt(Session{IssuerType: "Role", IssuerARN: "arn:aws:iam::123456789012:role/deploy",
		IssuerID: "AROAEXAMPLE", IssuerAccount: "123456789012", IssuerName: "deploy", SourceIdentity: "alice"})
	withoutIssuer := eventCall(role)
	withoutIssuer.Session = sessionAt(Session{})
	everything := &Event{UserIdentity: UserIdentity{Type: "t", PrincipalID: "p", ARN: "a", AccountID: "1", AccessKeyID: "k",
		UserName: "u", IdentityProvider: "i", SessionContext: &SessionContext{SessionIssuer: &SessionIssuer{Type: "t"},
			SourceIdentity: "s"}}, ErrorCode: "c", ErrorMessage: "m"}
	for name, ev := range map[string]*Event{
		"zero":                   {},
		"everything":             everything,
		"IAM user":               NewEvent(eventCall(&authz.Principal{Type: authz.User, Account: "1", ID: "AIDA", ARN: "a"}), "id"),
		"session with an issuer": NewEvent(session, "id"),
		"session without issuer": NewEvent(withoutIssuer, "id"),
		"unauthenticated":        NewEvent(eventCall(nil), "id"),
	} {
		data, err := ev.AppendJSON(nil)
		if err != nil {
			t.Fatal(err)
		}
		// Without escapes or maps, the hint holds the encoding, with
		// little to spare.
		if hint := ev.sizeHint(); hint < len(data) || hint > len(data)+256 {
			t.Errorf("%s: sizeHint = %d for %d bytes", name, hint, len(data))
		}
	}
}

// compareJSON checks that ev.AppendJSON writes what json.Marshal(ev) does,
// after whatever the buffer already holds.
func compareJSON(t *testing.T, ev *Event) {
	t.Helper()
	want, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ev.AppendJSON([]byte("prefix"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(got, []byte("prefix")) || !bytes.Equal(got[len("prefix"):], want) {
		t.Errorf("AppendJSON:\n%s\njson.Marshal:\nprefix%s", got, want)
	}
}

// nested returns maps and lists nested depth levels deep.
func nested(depth int) any {
	if depth == 0 {
		return "bottom"
	}
	if depth%2 == 0 {
		return []any{depth, nested(depth - 1)}
	}
	return map[string]any{"depth": depth, "next": nested(depth - 1)}
}

func TestAppendJSONUnsupportedValue(t *testing.T) {
	cycle := map[string]any{}
	cycle["self"] = cycle
	for name, v := range map[string]any{"NaN": math.NaN(), "infinity in a list": []any{"a", math.Inf(1)},
		"cycle": cycle, "channel": map[string]any{"c": make(chan int)}} {
		ev := &Event{RequestParameters: map[string]any{"size": v}}
		_, want := json.Marshal(ev)
		got, err := ev.AppendJSON(nil)
		if want == nil || err == nil || err.Error() != want.Error() || got != nil {
			t.Errorf("%s: AppendJSON = %q, %v; json.Marshal's error: %v", name, got, err, want)
		}
	}
}

// FuzzEventJSON fills every string member of an Event (userIdentity and
// its session context included) from the fuzzed strings, in turn from an
// offset, with an empty string in the rotation to exercise omitempty, sets
// the booleans and which pointers and maps are present from flags, and
// compares AppendJSON with json.Marshal.
func FuzzEventJSON(f *testing.F) {
	f.Add("alice", "arn:aws:iam::123456789012:user/alice", "GetUser", uint8(0), uint8(0xff))
	f.Add(escapes, "<script>&</script>", "\u2028\u2029", uint8(1), uint8(0x5a))
	f.Add("\xff\xfe", "\x00\x1f\x7f", "é\xe2\x82", uint8(2), uint8(0x0f))
	f.Fuzz(func(t *testing.T, a, b, c string, offset, flags uint8) {
		pool := []string{a, b, c, ""}
		n := int(offset)
		ev := &Event{}
		fill(reflect.ValueOf(ev).Elem(), func() string { n++; return pool[n%len(pool)] }, &flags)
		want, werr := json.Marshal(ev)
		got, err := ev.AppendJSON(nil)
		if (err == nil) != (werr == nil) || !bytes.Equal(got, want) {
			t.Errorf("AppendJSON = %q, %v\njson.Marshal = %q, %v", got, err, want, werr)
		}
	})
}

// fill sets every string field of the struct v (recursively) from next,
// and uses the bits of flags, in turn, for bool fields and to decide
// whether pointer and map fields are present; a map gets the next strings
// as keys and values, a nested map and list, a null, a boolean and numbers.
func fill(v reflect.Value, next func() string, flags *uint8) {
	bit := func() bool {
		on := *flags&1 == 1
		*flags = *flags>>1 | *flags<<7
		return on
	}
	for i := range v.NumField() {
		f := v.Field(i)
		switch f.Kind() {
		case reflect.String:
			f.SetString(next())
		case reflect.Bool:
			f.SetBool(bit())
		case reflect.Struct:
			fill(f, next, flags)
		case reflect.Pointer:
			if bit() {
				f.Set(reflect.New(f.Type().Elem()))
				fill(f.Elem(), next, flags)
			}
		case reflect.Map:
			if bit() {
				k, s := next(), next()
				f.Set(reflect.ValueOf(map[string]any{k: s, s: map[string]any{k: []any{s, bit(), int64(len(k)) - 3}},
					next(): nil, next(): float64(len(s)) / 7}))
			}
		default:
			panic("fill: no rule for " + f.Type().String())
		}
	}
}
