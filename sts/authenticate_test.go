package sts_test

import (
	"context"
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/authz"
	"github.com/gatehouse-iam/gatehouse/awserr"
	"github.com/gatehouse-iam/gatehouse/iam"
	"github.com/gatehouse-iam/gatehouse/policy"
	"github.com/gatehouse-iam/gatehouse/store/sqlite"
	"github.com/gatehouse-iam/gatehouse/sts"
)

// TestAuthenticate checks a session token's validation on first sight and
// from the cache: AWS's errors for tokens that do not open or do not belong
// to the key, and for expired ones.
func TestAuthenticate(t *testing.T) {
	svc, ring := benchService(t)
	now := time.Now()
	c := roleClaims(1, now)
	tok, err := ring.Seal(c)
	if err != nil {
		t.Fatal(err)
	}
	other := otherRing(t)
	foreign, err := other.Seal(c)
	if err != nil {
		t.Fatal(err)
	}
	altered := []byte(tok)
	altered[len(altered)/2] ^= 1
	tests := []struct {
		name       string
		key, token string
		at         time.Time
		code       string
	}{
		{"first sight", c.AccessKeyID, tok, now, ""},
		{"cached", c.AccessKeyID, tok, now, ""},
		{"another key id", "ASIA0000000000000002", tok, now, "InvalidClientTokenId"},
		{"altered token", c.AccessKeyID, string(altered), now, "InvalidClientTokenId"},
		{"token of another deployment", c.AccessKeyID, foreign, now, "InvalidClientTokenId"},
		{"not base64", c.AccessKeyID, "not a token!", now, "InvalidClientTokenId"},
		{"empty", c.AccessKeyID, "", now, "InvalidClientTokenId"},
		{"expired", c.AccessKeyID, tok, c.Expires, "ExpiredToken"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sess, err := svc.Authenticate(tt.key, tt.token, tt.at)
			if tt.code != "" {
				if e := awserr.As(err); e == nil || e.Code != tt.code {
					t.Fatalf("err = %v, want %s", err, tt.code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if sess.Claims.AccessKeyID != c.AccessKeyID || sess.Claims.Secret != c.Secret || sess.Principal == nil {
				t.Fatalf("session %+v", sess)
			}
		})
	}
}

// TestSessionPrincipalTags checks that a role session's principal carries
// the role's tags with its session tags over them, and its session policy.
func TestSessionPrincipalTags(t *testing.T) {
	svc, ring := benchService(t)
	now := time.Now()
	c := roleClaims(1, now) // the role "bench" is tagged team=blue
	c.Tags = map[string]string{"team": "red", "project": "apollo"}
	tok, err := ring.Seal(c)
	if err != nil {
		t.Fatal(err)
	}
	sess, err := svc.Authenticate(c.AccessKeyID, tok, now)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		condition string
		want      authz.Decision
	}{
		{`{"StringEquals":{"aws:PrincipalTag/team":"red","aws:PrincipalTag/project":"apollo"}}`, authz.Allow},
		{`{"StringEquals":{"aws:PrincipalTag/team":"blue"}}`, authz.ImplicitDeny},
		{`{"StringEquals":{"aws:userid":"AROAEXAMPLEEXAMPLE01:build-42","aws:PrincipalArn":"arn:aws:iam::123456789012:role/bench"}}`, authz.Allow},
	}
	for _, tt := range tests {
		doc := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":` + tt.condition + `}}`
		p, err := policy.ParseAndCompile("identity", doc, policy.Identity)
		if err != nil {
			t.Fatal(err)
		}
		pol := svc.Policies(sess)
		pol.Identity = policy.NewSet(p)
		req := &authz.Request{Principal: sess.Principal, Action: "s3:GetObject", Resource: "arn:aws:s3:::bucket/key"}
		if got := authz.Evaluate(pol, req, nil); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.condition, got, tt.want)
		}
	}
	// The session policy (s3:GetObject on bucket/*) narrows the session.
	pol := svc.Policies(sess)
	pol.Identity = policy.NewSet(mustCompile(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}`))
	for resource, want := range map[string]authz.Decision{"arn:aws:s3:::bucket/key": authz.Allow, "arn:aws:s3:::other/key": authz.ImplicitDeny} {
		req := &authz.Request{Principal: sess.Principal, Action: "s3:GetObject", Resource: resource}
		if got := authz.Evaluate(pol, req, nil); got != want {
			t.Errorf("%s with the session policy: %v, want %v", resource, got, want)
		}
	}
}

func mustCompile(t *testing.T, doc string) *policy.Compiled {
	t.Helper()
	p, err := policy.ParseAndCompile("identity", doc, policy.Identity)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// otherRing is a key ring of another deployment.
func otherRing(t *testing.T) *sts.KeyRing {
	st, err := sqlite.OpenMemory()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	sealer, err := iam.NewSealer(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	ring, err := sts.LoadKeyRing(context.Background(), st, sealer)
	if err != nil {
		t.Fatal(err)
	}
	return ring
}
