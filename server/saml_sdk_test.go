package server_test

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"html"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	stssdk "github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/gatehouse-iam/gatehouse/internal/testserver"
)

// newRSAIdPCert makes the RSA key and self-signed certificate of a test
// SAML identity provider.
func newRSAIdPCert(t *testing.T) *testCert {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "idp.example.com"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &testCert{cert: cert, key: key}
}

// samlAssertionSpec describes a SAML response of the test IdP.
type samlAssertionSpec struct {
	issuer, audience string
	expires          time.Time      // Conditions and SubjectConfirmationData NotOnOrAfter
	attrs            [][2]string    // attribute name, value
	encryptTo        *rsa.PublicKey // when set, the signed Assertion is encrypted to this key
}

// encryptedAssertion encrypts an Assertion element as an IdP does for a
// provider with a private key: AES-256-GCM content, key wrapped with
// RSA-OAEP (MGF1 with SHA-1).
func encryptedAssertion(t *testing.T, assertion *etree.Element, to *rsa.PublicKey) *etree.Element {
	t.Helper()
	plainDoc := etree.NewDocument()
	plainDoc.SetRoot(assertion.Copy())
	plain, err := plainDoc.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	key, nonce := make([]byte, 32), make([]byte, 12)
	rand.Read(key)
	rand.Read(nonce)
	block, _ := aes.NewCipher(key)
	aead, _ := cipher.NewGCM(block)
	wrapped, err := rsa.EncryptOAEP(sha1.New(), rand.Reader, to, key, nil)
	if err != nil {
		t.Fatal(err)
	}
	b64 := base64.StdEncoding.EncodeToString
	doc := etree.NewDocument()
	if err := doc.ReadFromString(`<saml:EncryptedAssertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"><xenc:EncryptedData xmlns:xenc="http://www.w3.org/2001/04/xmlenc#">` +
		`<xenc:EncryptionMethod Algorithm="http://www.w3.org/2009/xmlenc11#aes256-gcm"/><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><xenc:EncryptedKey>` +
		`<xenc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"/><xenc:CipherData><xenc:CipherValue>` + b64(wrapped) +
		`</xenc:CipherValue></xenc:CipherData></xenc:EncryptedKey></ds:KeyInfo><xenc:CipherData><xenc:CipherValue>` + b64(aead.Seal(nonce, nonce, plain, nil)) +
		`</xenc:CipherValue></xenc:CipherData></xenc:EncryptedData></saml:EncryptedAssertion>`); err != nil {
		t.Fatal(err)
	}
	return doc.Root()
}

// signedSAMLResponse renders a SAML Response whose Assertion is signed with
// the certificate's key (exclusive c14n, RSA-SHA256), base64-encoded as
// AssumeRoleWithSAML takes it.
func signedSAMLResponse(t *testing.T, idp *testCert, sp samlAssertionSpec) string {
	t.Helper()
	now := time.Now().UTC()
	ts := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	var attrs strings.Builder
	for _, a := range sp.attrs {
		attrs.WriteString(`<saml:Attribute Name="` + html.EscapeString(a[0]) + `"><saml:AttributeValue>` + html.EscapeString(a[1]) + `</saml:AttributeValue></saml:Attribute>`)
	}
	doc := etree.NewDocument()
	err := doc.ReadFromString(`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_r1" Version="2.0" IssueInstant="` + ts(now) + `">` +
		`<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>` +
		`<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_a1" Version="2.0" IssueInstant="` + ts(now) + `">` +
		`<saml:Issuer>` + sp.issuer + `</saml:Issuer>` +
		`<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">alice@example.com</saml:NameID>` +
		`<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData NotOnOrAfter="` + ts(sp.expires) +
		`" Recipient="https://signin.aws.amazon.com/saml"/></saml:SubjectConfirmation></saml:Subject>` +
		`<saml:Conditions NotBefore="` + ts(now.Add(-time.Minute)) + `" NotOnOrAfter="` + ts(sp.expires) + `"><saml:AudienceRestriction><saml:Audience>` +
		sp.audience + `</saml:Audience></saml:AudienceRestriction></saml:Conditions>` +
		`<saml:AuthnStatement AuthnInstant="` + ts(now) + `"/><saml:AttributeStatement>` + attrs.String() + `</saml:AttributeStatement>` +
		`</saml:Assertion></samlp:Response>`)
	if err != nil {
		t.Fatal(err)
	}
	ctx, err := dsig.NewSigningContext(idp.key, [][]byte{idp.cert.Raw})
	if err != nil {
		t.Fatal(err)
	}
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	assertion := doc.Root().SelectElement("saml:Assertion")
	signed, err := ctx.SignEnveloped(assertion)
	if err != nil {
		t.Fatal(err)
	}
	doc.Root().InsertChildAt(assertion.Index(), signed)
	doc.Root().RemoveChild(assertion)
	if sp.encryptTo != nil {
		encrypted := encryptedAssertion(t, signed, sp.encryptTo)
		doc.Root().InsertChildAt(signed.Index(), encrypted)
		doc.Root().RemoveChild(signed)
	}
	out, err := doc.WriteToString()
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString([]byte(out))
}

// TestAssumeRoleWithSAML runs a SAML IdP in the test: its metadata is
// registered through IAM, its signed responses are exchanged for role
// credentials through the SDK's unsigned AssumeRoleWithSAML, and the
// session's tags reach the role's policies.
func TestAssumeRoleWithSAML(t *testing.T) {
	ts := testserver.Start(t)
	ctx := context.Background()
	root := ts.IAMClient()
	const entityID = "https://idp.example.com/saml"
	idp, impostor := newRSAIdPCert(t), newRSAIdPCert(t)
	// Corp holds a private key: its IdP may encrypt assertions.
	spKey := newRSAIdPCert(t)
	corp := must(root.CreateSAMLProvider(ctx, &iamsdk.CreateSAMLProviderInput{Name: aws.String("Corp"),
		SAMLMetadataDocument: aws.String(samlMetadata(entityID, idp, "")), AddPrivateKey: aws.String(spKey.keyPEM(t))}))
	other := must(root.CreateSAMLProvider(ctx, &iamsdk.CreateSAMLProviderInput{Name: aws.String("Other"),
		SAMLMetadataDocument: aws.String(samlMetadata("https://other.example.com/saml", impostor, ""))}))
	providerARN := *corp.SAMLProviderArn
	trust := func(cond string) string {
		return `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Federated":"` + providerARN + `"},
		  "Action":["sts:AssumeRoleWithSAML","sts:TagSession","sts:SetSourceIdentity"],"Condition":{"StringEquals":{` + cond + `}}}}`
	}
	must(root.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("saml-dev"), MaxSessionDuration: aws.Int32(7200),
		AssumeRolePolicyDocument: aws.String(trust(`"SAML:aud":"https://signin.aws.amazon.com/saml","saml:iss":"` + entityID + `"`))}))
	must(root.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("saml-admin"),
		AssumeRolePolicyDocument: aws.String(trust(`"saml:edupersonaffiliation":"admin"`))}))
	must(root.PutRolePolicy(ctx, &iamsdk.PutRolePolicyInput{RoleName: aws.String("saml-dev"), PolicyName: aws.String("tagged"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*",
		  "Condition":{"StringEquals":{"aws:PrincipalTag/Project":"blue","aws:SourceIdentity":"alice"}}}}`)}))
	// saml-next is assumed from saml-dev sessions: the transitive tag and the
	// source identity carry over.
	must(root.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("saml-next"), AssumeRolePolicyDocument: aws.String(
		`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/saml-dev"},
		  "Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"]}}`)}))
	must(root.PutRolePolicy(ctx, &iamsdk.PutRolePolicyInput{RoleName: aws.String("saml-dev"), PolicyName: aws.String("chain"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::123456789012:role/saml-next"}}`)}))
	must(root.PutRolePolicy(ctx, &iamsdk.PutRolePolicyInput{RoleName: aws.String("saml-next"), PolicyName: aws.String("tagged"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*",
		  "Condition":{"StringEquals":{"aws:PrincipalTag/Project":"blue"}}}}`)}))
	devARN := "arn:aws:iam::" + testserver.Account + ":role/saml-dev"
	adminARN := "arn:aws:iam::" + testserver.Account + ":role/saml-admin"
	attrs := func(roles ...string) [][2]string {
		out := [][2]string{{"https://aws.amazon.com/SAML/Attributes/RoleSessionName", "alice"},
			{"https://aws.amazon.com/SAML/Attributes/SourceIdentity", "alice"},
			{"https://aws.amazon.com/SAML/Attributes/PrincipalTag:Project", "blue"},
			{"https://aws.amazon.com/SAML/Attributes/TransitiveTagKeys", "Project"},
			{"https://aws.amazon.com/SAML/Attributes/SessionDuration", "1800"},
			{"urn:oid:1.3.6.1.4.1.5923.1.1.1.1", "staff"}}
		for _, r := range roles {
			out = append(out, [2]string{"https://aws.amazon.com/SAML/Attributes/Role", r})
		}
		return out
	}
	good := samlAssertionSpec{issuer: entityID, audience: "https://signin.aws.amazon.com/saml", expires: time.Now().Add(5 * time.Minute),
		attrs: attrs(providerARN+","+devARN, adminARN+","+providerARN)}
	anon := stssdk.NewFromConfig(aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(ts.URL), RetryMaxAttempts: 1})
	assume := func(role, provider, assertion string) (*stssdk.AssumeRoleWithSAMLOutput, error) {
		return anon.AssumeRoleWithSAML(ctx, &stssdk.AssumeRoleWithSAMLInput{RoleArn: aws.String(role),
			PrincipalArn: aws.String(provider), SAMLAssertion: aws.String(assertion), DurationSeconds: aws.Int32(7200)})
	}

	out, err := assume(devARN, providerARN, signedSAMLResponse(t, idp, good))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha1.Sum([]byte(entityID + testserver.Account + "/Corp"))
	if *out.Subject != "alice@example.com" || *out.SubjectType != "persistent" || *out.Issuer != entityID ||
		*out.Audience != "https://signin.aws.amazon.com/saml" || *out.NameQualifier != base64.StdEncoding.EncodeToString(sum[:]) ||
		*out.SourceIdentity != "alice" || out.PackedPolicySize == nil ||
		*out.AssumedRoleUser.Arn != "arn:aws:sts::123456789012:assumed-role/saml-dev/alice" {
		t.Fatalf("output %+v", out)
	}
	// The SessionDuration attribute (1800 s) caps the requested 7200 s.
	if left := time.Until(*out.Credentials.Expiration); left > 31*time.Minute || left < 25*time.Minute {
		t.Fatalf("session lasts %v, want 30m", left)
	}
	session := sessionConfig(ts, out.Credentials)
	who, err := stssdk.NewFromConfig(session).GetCallerIdentity(ctx, &stssdk.GetCallerIdentityInput{})
	if err != nil || *who.Arn != "arn:aws:sts::123456789012:assumed-role/saml-dev/alice" {
		t.Fatalf("session identity %v %v", who, err)
	}
	if _, err := iamsdk.NewFromConfig(session).ListUsers(ctx, &iamsdk.ListUsersInput{}); err != nil {
		t.Fatalf("session tags and source identity in the role's policy: %v", err)
	}
	next, err := stssdk.NewFromConfig(session).AssumeRole(ctx, &stssdk.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::123456789012:role/saml-next"), RoleSessionName: aws.String("alice-next")})
	if err != nil || *next.SourceIdentity != "alice" {
		t.Fatalf("chained from the SAML session: %+v %v", next, err)
	}
	if _, err := iamsdk.NewFromConfig(sessionConfig(ts, next.Credentials)).ListUsers(ctx, &iamsdk.ListUsersInput{}); err != nil {
		t.Fatalf("transitive tag in the chained session: %v", err)
	}

	encrypted := good
	encrypted.encryptTo = spKey.key.Public().(*rsa.PublicKey)
	if out, err := assume(devARN, providerARN, signedSAMLResponse(t, idp, encrypted)); err != nil || *out.Subject != "alice@example.com" {
		t.Fatalf("encrypted assertion: %v %v", out, err)
	}

	goodXML, _ := base64.StdEncoding.DecodeString(signedSAMLResponse(t, idp, good))
	tampered := base64.StdEncoding.EncodeToString([]byte(strings.Replace(string(goodXML), "alice@example.com", "mallory@example.com", 1)))
	with := func(change func(*samlAssertionSpec)) samlAssertionSpec {
		sp := good
		change(&sp)
		return sp
	}
	refused := []struct {
		name, role, provider, assertion, code string
	}{
		{"tampered", devARN, providerARN, tampered, "InvalidIdentityToken"},
		{"wrong certificate", devARN, providerARN, signedSAMLResponse(t, impostor, good), "InvalidIdentityToken"},
		{"expired", devARN, providerARN, signedSAMLResponse(t, idp, with(func(s *samlAssertionSpec) { s.expires = time.Now().Add(-time.Hour) })), "ExpiredTokenException"},
		{"wrong audience", devARN, providerARN, signedSAMLResponse(t, idp, with(func(s *samlAssertionSpec) { s.audience = "https://sp.example.com" })), "InvalidIdentityToken"},
		{"role not in attributes", devARN, providerARN, signedSAMLResponse(t, idp, with(func(s *samlAssertionSpec) { s.attrs = attrs(adminARN + "," + providerARN) })), "AccessDenied"},
		{"encrypted to another key", devARN, providerARN, signedSAMLResponse(t, idp, with(func(s *samlAssertionSpec) { s.encryptTo = impostor.key.Public().(*rsa.PublicKey) })), "InvalidIdentityToken"},
		{"other provider", devARN, *other.SAMLProviderArn, signedSAMLResponse(t, idp, good), "InvalidIdentityToken"},
		{"missing provider", devARN, "arn:aws:iam::123456789012:saml-provider/Missing", signedSAMLResponse(t, idp, good), "InvalidIdentityToken"},
		{"trust condition", adminARN, providerARN, signedSAMLResponse(t, idp, good), "AccessDenied"},
		{"not a response", devARN, providerARN, base64.StdEncoding.EncodeToString([]byte("<html/>")), "InvalidIdentityToken"},
	}
	for _, tc := range refused {
		if _, err := assume(tc.role, tc.provider, tc.assertion); apiCode(err) != tc.code {
			t.Errorf("%s: %v, want %s", tc.name, err, tc.code)
		}
	}
}
