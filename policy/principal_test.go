package policy

import "testing"

const (
	acct      = "111122223333"
	otherAcct = "444455556666"
	userARN   = "arn:aws:iam::111122223333:user/division/alice"
	roleARN   = "arn:aws:iam::111122223333:role/ops/deployer"
	sessARN   = "arn:aws:sts::111122223333:assumed-role/deployer/build-42"
	rootARN   = "arn:aws:iam::111122223333:root"
)

// Callers used across the principal tests.
var (
	callerUser      = &Caller{Account: acct, ARN: userARN}
	callerOtherUser = &Caller{Account: acct, ARN: "arn:aws:iam::111122223333:user/bob"}
	callerSession   = &Caller{Account: acct, ARN: sessARN, RoleARN: roleARN}
	callerOtherSess = &Caller{Account: acct, ARN: "arn:aws:sts::111122223333:assumed-role/deployer/other", RoleARN: roleARN}
	callerRoot      = &Caller{Account: acct, ARN: rootARN}
	callerForeign   = &Caller{Account: otherAcct, ARN: "arn:aws:iam::444455556666:user/alice"}
	callerAnonymous = &Caller{Anonymous: true}
	callerService   = &Caller{Service: "ec2.amazonaws.com"}
	callerFederated = &Caller{Federated: "accounts.google.com"}
	callerCanonical = &Caller{CanonicalUser: "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"}
)

func TestPrincipalMatch(t *testing.T) {
	tests := []struct {
		name      string
		principal *Principal
		caller    *Caller
		want      PrincipalMatch
	}{
		{"* names everyone", &Principal{All: true}, callerUser, MatchedAll},
		{"* names anonymous callers", &Principal{All: true}, callerAnonymous, MatchedAll},
		{"* names services", &Principal{All: true}, callerService, MatchedAll},
		{"AWS * is *", &Principal{AWS: []string{"*"}}, callerAnonymous, MatchedAll},
		{"AWS * among others", &Principal{AWS: []string{acct, "*"}}, callerForeign, MatchedAll},
		{"account id names the account's users", &Principal{AWS: []string{acct}}, callerUser, MatchedAccount},
		{"account id names the account's sessions", &Principal{AWS: []string{acct}}, callerSession, MatchedAccount},
		{"account id names the root user", &Principal{AWS: []string{acct}}, callerRoot, MatchedAccount},
		{"root ARN is the account", &Principal{AWS: []string{rootARN}}, callerUser, MatchedAccount},
		{"root ARN is the account, root caller", &Principal{AWS: []string{rootARN}}, callerRoot, MatchedAccount},
		{"account id, other account", &Principal{AWS: []string{acct}}, callerForeign, NoPrincipalMatch},
		{"account id, anonymous", &Principal{AWS: []string{acct}}, callerAnonymous, NoPrincipalMatch},
		{"account id, service", &Principal{AWS: []string{acct}}, callerService, NoPrincipalMatch},
		{"user ARN", &Principal{AWS: []string{userARN}}, callerUser, MatchedExact},
		{"user ARN, other user", &Principal{AWS: []string{userARN}}, callerOtherUser, NoPrincipalMatch},
		{"user ARN, same name in another account", &Principal{AWS: []string{"arn:aws:iam::111122223333:user/alice"}}, callerForeign, NoPrincipalMatch},
		{"user ARN is case-sensitive", &Principal{AWS: []string{"arn:aws:iam::111122223333:user/division/Alice"}}, callerUser, NoPrincipalMatch},
		{"role ARN names its sessions", &Principal{AWS: []string{roleARN}}, callerSession, MatchedRole},
		{"role ARN names every session", &Principal{AWS: []string{roleARN}}, callerOtherSess, MatchedRole},
		{"role ARN needs its path", &Principal{AWS: []string{"arn:aws:iam::111122223333:role/deployer"}}, callerSession, NoPrincipalMatch},
		{"role ARN, user caller", &Principal{AWS: []string{roleARN}}, callerUser, NoPrincipalMatch},
		{"session ARN", &Principal{AWS: []string{sessARN}}, callerSession, MatchedExact},
		{"session ARN, other session", &Principal{AWS: []string{sessARN}}, callerOtherSess, NoPrincipalMatch},
		{"strongest of account, role and session", &Principal{AWS: []string{acct, roleARN, sessARN}}, callerSession, MatchedExact},
		{"role beats account", &Principal{AWS: []string{acct, roleARN}}, callerSession, MatchedRole},
		{"role beats account, order", &Principal{AWS: []string{roleARN, rootARN}}, callerSession, MatchedRole},
		{"service", &Principal{Service: []string{"ec2.amazonaws.com"}}, callerService, MatchedExact},
		{"service, case-insensitive", &Principal{Service: []string{"EC2.AmazonAWS.com"}}, callerService, MatchedExact},
		{"service, other", &Principal{Service: []string{"lambda.amazonaws.com"}}, callerService, NoPrincipalMatch},
		{"service does not name users", &Principal{Service: []string{"ec2.amazonaws.com"}}, callerUser, NoPrincipalMatch},
		{"service among AWS principals", &Principal{AWS: []string{acct}, Service: []string{"ec2.amazonaws.com"}}, callerService, MatchedExact},
		{"federated", &Principal{Federated: []string{"accounts.google.com"}}, callerFederated, MatchedExact},
		{"federated, other provider", &Principal{Federated: []string{"cognito-identity.amazonaws.com"}}, callerFederated, NoPrincipalMatch},
		{"canonical user", &Principal{CanonicalUser: []string{callerCanonical.CanonicalUser}}, callerCanonical, MatchedExact},
		{"canonical user, AWS caller", &Principal{CanonicalUser: []string{callerCanonical.CanonicalUser}}, callerUser, NoPrincipalMatch},
	}
	for _, tt := range tests {
		if got := compilePrincipal(tt.principal).match(tt.caller); got != tt.want {
			t.Errorf("%s: match = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestNotPrincipalExcludes follows reference_policies_elements_notprincipal:
// AWS checks the account, then the role, then the session (or the user), so a
// caller is exempt only when every one of them is listed.
func TestNotPrincipalExcludes(t *testing.T) {
	tests := []struct {
		name   string
		not    *Principal
		caller *Caller
		want   bool
	}{
		{"* exempts everyone", &Principal{All: true}, callerUser, true},
		{"AWS * exempts everyone", &Principal{AWS: []string{"*"}}, callerAnonymous, true},
		{"user and account", &Principal{AWS: []string{userARN, rootARN}}, callerUser, true},
		{"user and account id", &Principal{AWS: []string{acct, userARN}}, callerUser, true},
		{"user without account", &Principal{AWS: []string{userARN}}, callerUser, false},
		{"account without user", &Principal{AWS: []string{acct}}, callerUser, false},
		{"other user", &Principal{AWS: []string{userARN, rootARN}}, callerOtherUser, false},
		{"other account", &Principal{AWS: []string{userARN, rootARN}}, callerForeign, false},
		{"root caller, account listed", &Principal{AWS: []string{acct}}, callerRoot, true},
		{"root caller, root ARN listed", &Principal{AWS: []string{rootARN}}, callerRoot, true},
		{"session, role and account", &Principal{AWS: []string{sessARN, roleARN, rootARN}}, callerSession, true},
		{"other session of the role", &Principal{AWS: []string{sessARN, roleARN, rootARN}}, callerOtherSess, false},
		{"role and account without session", &Principal{AWS: []string{roleARN, rootARN}}, callerSession, false},
		{"session and account without role", &Principal{AWS: []string{sessARN, rootARN}}, callerSession, false},
		{"session and role without account", &Principal{AWS: []string{sessARN, roleARN}}, callerSession, false},
		{"anonymous is never exempt by name", &Principal{AWS: []string{acct, userARN}}, callerAnonymous, false},
		{"service listed", &Principal{Service: []string{"EC2.amazonaws.com"}}, callerService, true},
		{"service not listed", &Principal{Service: []string{"s3.amazonaws.com"}, AWS: []string{acct}}, callerService, false},
		{"federated listed", &Principal{Federated: []string{"accounts.google.com"}}, callerFederated, true},
		{"federated not listed", &Principal{Federated: []string{"graph.facebook.com"}}, callerFederated, false},
	}
	for _, tt := range tests {
		if got := compilePrincipal(tt.not).excludes(tt.caller); got != tt.want {
			t.Errorf("%s: excludes = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestStatementPrincipal checks Principal and NotPrincipal through
// Compiled.Matches.
func TestStatementPrincipal(t *testing.T) {
	const res = "arn:aws:s3:::b/k"
	policy := func(kind Kind, members string) *Compiled {
		t.Helper()
		c, err := ParseAndCompile("p", stmt(members), kind)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	grant := policy(Resource, `"Effect":"Allow","Principal":{"AWS":["`+roleARN+`","`+acct+`"]},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"`)
	denyAllBut := policy(Resource, `"Effect":"Deny","NotPrincipal":{"AWS":["`+userARN+`","`+acct+`"]},"Action":"s3:*","Resource":"arn:aws:s3:::b/*"`)
	allowAllBut := policy(Resource, `"Effect":"Allow","NotPrincipal":{"AWS":["`+userARN+`","`+acct+`"]},"Action":"s3:*","Resource":"arn:aws:s3:::b/*"`)
	identity := policy(Identity, `"Effect":"Allow","Action":"s3:GetObject","Resource":"*"`)
	boundaryUser := &Caller{Account: acct, ARN: userARN, HasBoundary: true}
	tests := []struct {
		name   string
		policy *Compiled
		caller *Caller
		ok     bool
		pm     PrincipalMatch
	}{
		{"role session", grant, callerSession, true, MatchedRole},
		{"user of the account", grant, callerUser, true, MatchedAccount},
		{"foreign user", grant, callerForeign, false, NoPrincipalMatch},
		{"no caller", grant, nil, false, NoPrincipalMatch},
		{"deny: exempt user", denyAllBut, callerUser, false, NoPrincipalMatch},
		{"deny: other user", denyAllBut, callerOtherUser, true, MatchedAll},
		{"deny: anonymous", denyAllBut, callerAnonymous, true, MatchedAll},
		{"deny: exempt user with a permissions boundary", denyAllBut, boundaryUser, true, MatchedAll},
		{"allow: exempt user", allowAllBut, callerUser, false, NoPrincipalMatch},
		{"allow: exempt user with a boundary is still exempt", allowAllBut, boundaryUser, false, NoPrincipalMatch},
		{"allow: anonymous", allowAllBut, callerAnonymous, true, MatchedAll},
		{"identity policy names its holder", identity, callerUser, true, MatchedAll},
		{"identity policy without caller", identity, nil, true, MatchedAll},
	}
	for _, tt := range tests {
		r := &Request{Action: "s3:GetObject", Resource: res, Caller: tt.caller, Env: env{}}
		ok, pm := tt.policy.Matches(0, r, nil)
		if ok != tt.ok || pm != tt.pm {
			t.Errorf("%s: Matches = %v %v, want %v %v", tt.name, ok, pm, tt.ok, tt.pm)
		}
	}
}

func TestPrincipalMatchNames(t *testing.T) {
	want := map[PrincipalMatch]string{NoPrincipalMatch: "none", MatchedAccount: "account", MatchedRole: "role", MatchedExact: "exact", MatchedAll: "all"}
	for m, s := range want {
		if m.String() != s {
			t.Errorf("%d.String() = %q, want %q", m, m.String(), s)
		}
	}
	if !(NoPrincipalMatch < MatchedAccount && MatchedAccount < MatchedRole && MatchedRole < MatchedExact && MatchedExact < MatchedAll) {
		t.Error("PrincipalMatch values are not ordered by strength")
	}
}
