package server_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	stssdk "github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/gatehouse-iam/gatehouse/internal/testserver"
)

// oidcIdP is an OpenID Connect provider run by the test: discovery, a JWKS
// with an RSA and an EC key, and token minting with real signatures.
type oidcIdP struct {
	srv    *httptest.Server
	rsaKey *rsa.PrivateKey
	ecKey  *ecdsa.PrivateKey
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func newOIDCIdP(t *testing.T) *oidcIdP {
	idp := &oidcIdP{}
	var err error
	if idp.rsaKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		t.Fatal(err)
	}
	if idp.ecKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"issuer": idp.srv.URL, "jwks_uri": idp.srv.URL + "/jwks"})
	})
	mux.HandleFunc("/jwks", func(w http.ResponseWriter, r *http.Request) {
		ec, _ := idp.ecKey.PublicKey.Bytes() // uncompressed point
		json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{
			{"kty": "RSA", "kid": "rsa1", "use": "sig", "n": b64(idp.rsaKey.N.Bytes()), "e": b64(big.NewInt(int64(idp.rsaKey.E)).Bytes())},
			{"kty": "EC", "kid": "ec1", "crv": "P-256", "x": b64(ec[1:33]), "y": b64(ec[33:])},
		}})
	})
	idp.srv = httptest.NewTLSServer(mux)
	t.Cleanup(idp.srv.Close)
	return idp
}

// token mints a JWT signed with the RSA key (kid rsa1) or the EC key (ec1).
func (idp *oidcIdP) token(t *testing.T, kid string, claims map[string]any) string {
	head, _ := json.Marshal(map[string]string{"alg": map[string]string{"rsa1": "RS256", "ec1": "ES256"}[kid], "kid": kid, "typ": "JWT"})
	body, _ := json.Marshal(claims)
	input := b64(head) + "." + b64(body)
	digest := sha256.Sum256([]byte(input))
	var sig []byte
	var err error
	if kid == "rsa1" {
		sig, err = rsa.SignPKCS1v15(rand.Reader, idp.rsaKey, crypto.SHA256, digest[:])
	} else {
		var r, s *big.Int
		r, s, err = ecdsa.Sign(rand.Reader, idp.ecKey, digest[:])
		sig = make([]byte, 64)
		r.FillBytes(sig[:32])
		s.FillBytes(sig[32:])
	}
	if err != nil {
		t.Fatal(err)
	}
	return input + "." + b64(sig)
}

// TestWebIdentityCIPipeline is the seed documents' CI pattern: a role that
// trusts the OIDC provider for one repository's main branch only.
func TestWebIdentityCIPipeline(t *testing.T) {
	ts := testserver.Start(t)
	idp := newOIDCIdP(t)
	ts.STS.SetHTTPClient(idp.srv.Client())
	ctx := context.Background()
	root := ts.IAMClient()
	prov, err := root.CreateOpenIDConnectProvider(ctx, &iamsdk.CreateOpenIDConnectProviderInput{
		Url: aws.String(idp.srv.URL), ClientIDList: []string{"sts.amazonaws.com"}})
	if err != nil {
		t.Fatal(err)
	}
	host := strings.TrimPrefix(idp.srv.URL, "https://")
	trust := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Federated":"` + *prov.OpenIDConnectProviderArn + `"},
	  "Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"` + host + `:aud":"sts.amazonaws.com",
	  "` + host + `:sub":"repo:myorg/my-app:ref:refs/heads/main"}}}}`
	if _, err := root.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("ci-deploy"), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	claims := func(sub, aud string, exp time.Time) map[string]any {
		return map[string]any{"iss": idp.srv.URL, "sub": sub, "aud": aud, "exp": exp.Unix(), "iat": now.Unix(),
			"repository": "myorg/my-app", "ref": "refs/heads/main"}
	}
	anon := stssdk.NewFromConfig(aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(ts.URL), RetryMaxAttempts: 1})
	assume := func(token string) (*stssdk.AssumeRoleWithWebIdentityOutput, error) {
		return anon.AssumeRoleWithWebIdentity(ctx, &stssdk.AssumeRoleWithWebIdentityInput{
			RoleArn: aws.String("arn:aws:iam::123456789012:role/ci-deploy"), RoleSessionName: aws.String("gha-run-1"),
			WebIdentityToken: aws.String(token)})
	}
	for _, kid := range []string{"rsa1", "ec1"} {
		out, err := assume(idp.token(t, kid, claims("repo:myorg/my-app:ref:refs/heads/main", "sts.amazonaws.com", now.Add(time.Hour))))
		if err != nil {
			t.Fatalf("%s: %v", kid, err)
		}
		if *out.SubjectFromWebIdentityToken != "repo:myorg/my-app:ref:refs/heads/main" || *out.Audience != "sts.amazonaws.com" {
			t.Fatalf("%s: %+v", kid, out)
		}
		who, err := stssdk.NewFromConfig(sessionConfig(ts, out.Credentials)).GetCallerIdentity(ctx, &stssdk.GetCallerIdentityInput{})
		if err != nil || *who.Arn != "arn:aws:sts::123456789012:assumed-role/ci-deploy/gha-run-1" {
			t.Fatalf("%s: session identity %v %v", kid, who, err)
		}
	}
	good := idp.token(t, "rsa1", claims("repo:myorg/my-app:ref:refs/heads/main", "sts.amazonaws.com", now.Add(time.Hour)))
	parts := strings.Split(good, ".")
	tampered := parts[0] + "." + b64([]byte(`{"iss":"`+idp.srv.URL+`","sub":"repo:myorg/my-app:ref:refs/heads/main","aud":"sts.amazonaws.com","exp":9999999999}`)) + "." + parts[2]
	refused := []struct {
		name, token, code string
	}{
		{"other branch", idp.token(t, "rsa1", claims("repo:myorg/my-app:ref:refs/heads/feature", "sts.amazonaws.com", now.Add(time.Hour))), "AccessDenied"},
		{"other repository", idp.token(t, "ec1", claims("repo:evil/my-app:ref:refs/heads/main", "sts.amazonaws.com", now.Add(time.Hour))), "AccessDenied"},
		{"wrong audience", idp.token(t, "rsa1", claims("repo:myorg/my-app:ref:refs/heads/main", "other", now.Add(time.Hour))), "InvalidIdentityToken"},
		{"expired", idp.token(t, "rsa1", claims("repo:myorg/my-app:ref:refs/heads/main", "sts.amazonaws.com", now.Add(-time.Hour))), "ExpiredTokenException"},
		{"tampered", tampered, "InvalidIdentityToken"},
		{"not a jwt", "not-a-jwt", "InvalidIdentityToken"},
	}
	for _, tc := range refused {
		if _, err := assume(tc.token); apiCode(err) != tc.code {
			t.Errorf("%s: %v, want %s", tc.name, err, tc.code)
		}
	}
	wrongIssuer := claims("repo:myorg/my-app:ref:refs/heads/main", "sts.amazonaws.com", now.Add(time.Hour))
	wrongIssuer["iss"] = "https://issuer.example.com"
	if _, err := assume(idp.token(t, "rsa1", wrongIssuer)); apiCode(err) != "InvalidIdentityToken" {
		t.Errorf("wrong issuer: %v", err)
	}
}
