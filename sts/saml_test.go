package sts

import (
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"fmt"
	"html"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/gatehouse-iam/gatehouse/authz"
	"github.com/gatehouse-iam/gatehouse/awserr"
)

// testIdP is a SAML identity provider run by the tests: a key (RSA, as
// most IdPs use, or ECDSA P-256), its self-signed certificate, and responses
// signed with goxmldsig.
type testIdP struct {
	key  crypto.Signer
	cert *x509.Certificate
}

func newRSAKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func newTestIdP(t testing.TB, useRSA bool) *testIdP {
	t.Helper()
	var key crypto.Signer
	var err error
	if useRSA {
		key = newRSAKey(t)
	} else {
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "idp.example.com"},
		NotBefore: time.Now().Add(-24 * time.Hour), NotAfter: time.Now().Add(365 * 24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &testIdP{key: key, cert: cert}
}

// samlSpec describes a response; the zero value of a field means its
// default (a valid response).
type samlSpec struct {
	issuer, audience, recipient, status string
	notOnOrAfter, scdNotOnOrAfter       time.Time
	notBefore                           time.Time
	sessionNotOnOrAfter                 time.Time
	attrs                               [][2]string // name, value; one AttributeValue each
	signResponse                        bool        // sign the Response instead of the Assertion
	unsigned                            bool
	extraAssertion                      bool           // an unsigned second Assertion
	encryptTo                           *rsa.PublicKey // encrypt the Assertion (after signing it) to this key
	encryption                          string         // the content-encryption algorithm
}

const testEntityID = "https://idp.example.com/saml"

var testNow = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// xml builds the response document, not yet signed.
func (sp samlSpec) xml(now time.Time) string {
	or := func(v, def string) string {
		if v == "" {
			return def
		}
		return v
	}
	ts := func(t time.Time, def time.Duration) string {
		if t.IsZero() {
			t = now.Add(def)
		}
		return t.UTC().Format(time.RFC3339)
	}
	var attrs strings.Builder
	for _, a := range sp.attrs {
		fmt.Fprintf(&attrs, `<saml:Attribute Name="%s"><saml:AttributeValue>%s</saml:AttributeValue></saml:Attribute>`,
			html.EscapeString(a[0]), html.EscapeString(a[1]))
	}
	session := ""
	if !sp.sessionNotOnOrAfter.IsZero() {
		session = ` SessionNotOnOrAfter="` + sp.sessionNotOnOrAfter.UTC().Format(time.RFC3339) + `"`
	}
	assertion := func(id string) string {
		return `<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="` + id + `" Version="2.0" IssueInstant="` + ts(now, 0) + `">` +
			`<saml:Issuer>` + or(sp.issuer, testEntityID) + `</saml:Issuer>` +
			`<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">alice@example.com</saml:NameID>` +
			`<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData NotOnOrAfter="` + ts(sp.scdNotOnOrAfter, 5*time.Minute) +
			`" Recipient="` + or(sp.recipient, "https://signin.aws.amazon.com/saml") + `"/></saml:SubjectConfirmation></saml:Subject>` +
			`<saml:Conditions NotBefore="` + ts(sp.notBefore, -time.Minute) + `" NotOnOrAfter="` + ts(sp.notOnOrAfter, 5*time.Minute) + `">` +
			`<saml:AudienceRestriction><saml:Audience>` + or(sp.audience, "urn:amazon:webservices") + `</saml:Audience></saml:AudienceRestriction></saml:Conditions>` +
			`<saml:AuthnStatement AuthnInstant="` + ts(now, 0) + `"` + session + `/>` +
			`<saml:AttributeStatement>` + attrs.String() + `</saml:AttributeStatement></saml:Assertion>`
	}
	extra := ""
	if sp.extraAssertion {
		extra = assertion("_forged")
	}
	return `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_resp1" Version="2.0" IssueInstant="` + ts(now, 0) +
		`" Destination="https://signin.aws.amazon.com/saml"><saml:Issuer xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">` + or(sp.issuer, testEntityID) +
		`</saml:Issuer><samlp:Status><samlp:StatusCode Value="` + or(sp.status, samlSuccess) + `"/></samlp:Status>` +
		assertion("_assert1") + extra + `</samlp:Response>`
}

// sign signs the Response or its first Assertion with the IdP's key.
func (idp *testIdP) sign(t testing.TB, doc string, response bool) string {
	t.Helper()
	d := etree.NewDocument()
	if err := d.ReadFromString(doc); err != nil {
		t.Fatal(err)
	}
	ctx, err := dsig.NewSigningContext(idp.key, [][]byte{idp.cert.Raw})
	if err != nil {
		t.Fatal(err)
	}
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	target := d.Root()
	if !response {
		target = d.Root().SelectElement("saml:Assertion")
	}
	signed, err := ctx.SignEnveloped(target)
	if err != nil {
		t.Fatal(err)
	}
	if response {
		d.SetRoot(signed)
	} else {
		parent := target.Parent()
		parent.InsertChildAt(target.Index(), signed)
		parent.RemoveChild(target)
	}
	out, err := d.WriteToString()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// response returns the base64 SAMLAssertion for a spec.
func (idp *testIdP) response(t testing.TB, sp samlSpec, now time.Time) string {
	doc := sp.xml(now)
	if !sp.unsigned && !sp.signResponse {
		doc = idp.sign(t, doc, false)
	}
	if sp.encryptTo != nil {
		doc = encryptAssertion(t, doc, sp.encryptTo, sp.encryption)
	}
	if !sp.unsigned && sp.signResponse {
		doc = idp.sign(t, doc, true)
	}
	return base64.StdEncoding.EncodeToString([]byte(doc))
}

// encryptAssertion replaces a response's Assertion with an
// EncryptedAssertion as IdPs make them: a random AES key (CBC or GCM, by
// the algorithm's identifier) wrapped with RSA-OAEP (MGF1 with SHA-1).
func encryptAssertion(t testing.TB, doc string, to *rsa.PublicKey, alg string) string {
	t.Helper()
	d := etree.NewDocument()
	if err := d.ReadFromString(doc); err != nil {
		t.Fatal(err)
	}
	assertion := d.Root().SelectElement("saml:Assertion")
	ad := etree.NewDocument()
	ad.SetRoot(assertion.Copy())
	plain, err := ad.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	c := contentCiphers[alg]
	key := make([]byte, c.keySize)
	rand.Read(key)
	block, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	var ct []byte
	if c.gcm {
		aead, _ := cipher.NewGCM(block)
		nonce := make([]byte, aead.NonceSize())
		rand.Read(nonce)
		ct = aead.Seal(nonce, nonce, plain, nil)
	} else {
		pad := aes.BlockSize - len(plain)%aes.BlockSize
		for range pad {
			plain = append(plain, byte(pad))
		}
		ct = make([]byte, aes.BlockSize+len(plain))
		rand.Read(ct[:aes.BlockSize])
		cipher.NewCBCEncrypter(block, ct[:aes.BlockSize]).CryptBlocks(ct[aes.BlockSize:], plain)
	}
	wrapped, err := rsa.EncryptOAEP(sha1.New(), rand.Reader, to, key, nil)
	if err != nil {
		t.Fatal(err)
	}
	b64 := base64.StdEncoding.EncodeToString
	enc := etree.NewDocument()
	err = enc.ReadFromString(`<saml:EncryptedAssertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">` +
		`<xenc:EncryptedData xmlns:xenc="http://www.w3.org/2001/04/xmlenc#" Type="http://www.w3.org/2001/04/xmlenc#Element">` +
		`<xenc:EncryptionMethod Algorithm="` + alg + `"/><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><xenc:EncryptedKey>` +
		`<xenc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"><ds:DigestMethod Algorithm="http://www.w3.org/2000/09/xmldsig#sha1"/></xenc:EncryptionMethod>` +
		`<xenc:CipherData><xenc:CipherValue>` + b64(wrapped) + `</xenc:CipherValue></xenc:CipherData></xenc:EncryptedKey></ds:KeyInfo>` +
		`<xenc:CipherData><xenc:CipherValue>` + b64(ct) + `</xenc:CipherValue></xenc:CipherData></xenc:EncryptedData></saml:EncryptedAssertion>`)
	if err != nil {
		t.Fatal(err)
	}
	d.Root().InsertChildAt(assertion.Index(), enc.Root())
	d.Root().RemoveChild(assertion)
	out, err := d.WriteToString()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func errCode(err error) string {
	if ae := awserr.As(err); ae != nil {
		return ae.Code
	}
	if err != nil {
		return err.Error()
	}
	return ""
}

func TestReadSAMLResponse(t *testing.T) {
	idp, other := newTestIdP(t, true), newTestIdP(t, false)
	spKey, otherKey := newRSAKey(t), newRSAKey(t)
	chk := &samlCheck{EntityID: testEntityID, Certs: []*x509.Certificate{idp.cert}, ProviderID: "ABCDEFGHIJ",
		DecryptionKeys: []crypto.PrivateKey{spKey}, Now: testNow}
	keyless := *chk
	keyless.DecryptionKeys = nil
	required := *chk
	required.EncryptionRequired = true
	ecdsaIdP := *chk
	ecdsaIdP.Certs = []*x509.Certificate{other.cert}
	good := idp.response(t, samlSpec{}, testNow)
	raw, _ := base64.StdEncoding.DecodeString(good)
	tampered := base64.StdEncoding.EncodeToString([]byte(strings.Replace(string(raw), "alice@example.com", "mallory@example.com", 1)))
	withDoctype := base64.StdEncoding.EncodeToString([]byte(`<!DOCTYPE x [<!ENTITY a "b">]>` + string(raw)))
	gcm, cbc := nsXMLEnc11+"aes256-gcm", nsXMLEnc+"aes128-cbc"
	cases := []struct {
		name     string
		response string
		code     string
		check    *samlCheck // chk when nil
	}{
		{"assertion signed", good, "", nil},
		{"ECDSA signature", other.response(t, samlSpec{}, testNow), "", &ecdsaIdP},
		{"encrypted (GCM), assertion signed", idp.response(t, samlSpec{encryptTo: &spKey.PublicKey, encryption: gcm}, testNow), "", &required},
		{"encrypted (CBC), response signed", idp.response(t, samlSpec{encryptTo: &spKey.PublicKey, encryption: cbc, signResponse: true}, testNow), "", nil},
		{"encrypted, nothing signed", idp.response(t, samlSpec{encryptTo: &spKey.PublicKey, encryption: gcm, unsigned: true}, testNow), "InvalidIdentityToken", nil},
		{"encrypted to another key", idp.response(t, samlSpec{encryptTo: &otherKey.PublicKey, encryption: gcm}, testNow), "InvalidIdentityToken", nil},
		{"encrypted, provider without keys", idp.response(t, samlSpec{encryptTo: &spKey.PublicKey, encryption: cbc}, testNow), "InvalidIdentityToken", &keyless},
		{"encryption required", good, "InvalidIdentityToken", &required},
		{"response signed", idp.response(t, samlSpec{signResponse: true}, testNow), "", nil},
		{"regional recipient", idp.response(t, samlSpec{recipient: "https://us-east-2.signin.aws.amazon.com/saml"}, testNow), "", nil},
		{"acs recipient of this provider", idp.response(t, samlSpec{recipient: "https://signin.aws.amazon.com/saml/acs/ABCDEFGHIJ"}, testNow), "", nil},
		{"sign-in URL audience", idp.response(t, samlSpec{audience: "https://signin.aws.amazon.com/saml"}, testNow), "", nil},
		{"expired within skew", idp.response(t, samlSpec{notOnOrAfter: testNow.Add(-time.Minute), scdNotOnOrAfter: testNow.Add(-time.Minute)}, testNow), "", nil},
		{"acs recipient of another provider", idp.response(t, samlSpec{recipient: "https://signin.aws.amazon.com/saml/acs/OTHER"}, testNow), "InvalidIdentityToken", nil},
		{"tampered", tampered, "InvalidIdentityToken", nil},
		{"wrong certificate", other.response(t, samlSpec{}, testNow), "InvalidIdentityToken", nil},
		{"unsigned", idp.response(t, samlSpec{unsigned: true}, testNow), "InvalidIdentityToken", nil},
		{"conditions expired", idp.response(t, samlSpec{notOnOrAfter: testNow.Add(-time.Hour)}, testNow), "ExpiredTokenException", nil},
		{"confirmation expired", idp.response(t, samlSpec{scdNotOnOrAfter: testNow.Add(-time.Hour)}, testNow), "ExpiredTokenException", nil},
		{"not yet valid", idp.response(t, samlSpec{notBefore: testNow.Add(time.Hour)}, testNow), "InvalidIdentityToken", nil},
		{"wrong audience", idp.response(t, samlSpec{audience: "https://sp.example.com"}, testNow), "InvalidIdentityToken", nil},
		{"wrong recipient", idp.response(t, samlSpec{recipient: "https://evil.example.com/saml"}, testNow), "InvalidIdentityToken", nil},
		{"wrong issuer", idp.response(t, samlSpec{issuer: "https://other.example.com"}, testNow), "InvalidIdentityToken", nil},
		{"failed status", idp.response(t, samlSpec{signResponse: true, status: "urn:oasis:names:tc:SAML:2.0:status:Requester"}, testNow), "IDPRejectedClaim", nil},
		{"signed plus forged assertion", idp.response(t, samlSpec{extraAssertion: true}, testNow), "InvalidIdentityToken", nil},
		{"doctype", withDoctype, "InvalidIdentityToken", nil},
		{"not base64", "%%%not-base64%%%", "InvalidIdentityToken", nil},
		{"not a response", base64.StdEncoding.EncodeToString([]byte(`<x/>`)), "InvalidIdentityToken", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			check := tc.check
			if check == nil {
				check = chk
			}
			a, err := readSAMLResponse(tc.response, check)
			if errCode(err) != tc.code {
				t.Fatalf("got %v, want %q", err, tc.code)
			}
			if err == nil && (a.NameID != "alice@example.com" || a.Issuer != testEntityID || a.NameIDFormat != "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent") {
				t.Fatalf("assertion %+v", a)
			}
		})
	}
}

func TestReadSAMLAttributes(t *testing.T) {
	const role, prov = "arn:aws:iam::123456789012:role/Dev", "arn:aws:iam::123456789012:saml-provider/Corp"
	base := [][2]string{{samlRoleAttr, role + "," + prov}, {samlSessionNameAttr, "alice"}}
	with := func(extra ...[2]string) []samlAttribute {
		var out []samlAttribute
		for _, a := range append(append([][2]string{}, base...), extra...) {
			out = append(out, samlAttribute{Name: a[0], Values: []string{a[1]}})
		}
		return out
	}
	cases := []struct {
		name  string
		attrs []samlAttribute
		code  string
		check func(*samlAttributes) bool
	}{
		{"minimal", with(), "", func(a *samlAttributes) bool { return a.sessionName == "alice" && len(a.tags) == 0 && a.duration == 0 }},
		{"provider first", []samlAttribute{{Name: samlRoleAttr, Values: []string{"arn:aws:iam::123456789012:role/Other," + prov, prov + ", " + role}},
			{Name: samlSessionNameAttr, Values: []string{"alice"}}}, "", nil},
		{"role not listed", []samlAttribute{{Name: samlRoleAttr, Values: []string{"arn:aws:iam::123456789012:role/Other," + prov}},
			{Name: samlSessionNameAttr, Values: []string{"alice"}}}, "AccessDenied", nil},
		{"no session name", []samlAttribute{{Name: samlRoleAttr, Values: []string{role + "," + prov}}}, "InvalidIdentityToken", nil},
		{"bad session name", []samlAttribute{{Name: samlRoleAttr, Values: []string{role + "," + prov}}, {Name: samlSessionNameAttr, Values: []string{"a b"}}}, "InvalidIdentityToken", nil},
		{"tags and transitive", with([2]string{samlPrincipalTagPrefix + "Project", "blue"}, [2]string{samlPrincipalTagPrefix + "Dept", "eng"}, [2]string{samlTransitiveAttr, "Project"}), "",
			func(a *samlAttributes) bool {
				return a.tags["Project"] == "blue" && a.tags["Dept"] == "eng" && len(a.transitive) == 1 && a.transitive[0] == "Project"
			}},
		{"duplicate tag keys", with([2]string{samlPrincipalTagPrefix + "Project", "blue"}, [2]string{samlPrincipalTagPrefix + "project", "red"}), "InvalidIdentityToken", nil},
		{"transitive key not a tag", with([2]string{samlTransitiveAttr, "Project"}), "InvalidIdentityToken", nil},
		{"session duration", with([2]string{samlSessionDuration, "1800"}), "", func(a *samlAttributes) bool { return a.duration == 30*time.Minute }},
		{"session duration too short", with([2]string{samlSessionDuration, "60"}), "InvalidIdentityToken", nil},
		{"source identity", with([2]string{samlSourceIdentity, "alice@example.com"}), "", func(a *samlAttributes) bool { return a.source == "alice@example.com" }},
		{"source identity aws:", with([2]string{samlSourceIdentity, "aws:x"}), "InvalidIdentityToken", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := readSAMLAttributes(&samlAssertion{Attributes: tc.attrs}, role, prov)
			if errCode(err) != tc.code {
				t.Fatalf("got %v, want %q", err, tc.code)
			}
			if err == nil && tc.check != nil && !tc.check(got) {
				t.Fatalf("attributes %+v", got)
			}
		})
	}
}

func TestSAMLContextKeys(t *testing.T) {
	a := &samlAssertion{Issuer: testEntityID, NameID: "alice", NameIDFormat: "urn:oasis:names:tc:SAML:2.0:nameid-format:transient",
		Recipient: "https://signin.aws.amazon.com/saml", Attributes: []samlAttribute{
			{Name: "urn:oid:1.3.6.1.4.1.5923.1.1.1.1", Values: []string{"staff", "member"}},
			{Name: "mail", Values: []string{"alice@example.com"}},
			{Name: "unrelated", Values: []string{"x"}},
		}}
	ctx := authz.Context{}
	setSAMLContext(ctx, a, "123456789012", "Corp", "qualifier")
	want := map[string]string{"saml:aud": "https://signin.aws.amazon.com/saml", "saml:iss": testEntityID, "saml:sub": "alice",
		"saml:sub_type": "transient", "saml:namequalifier": "qualifier", "saml:doc": "123456789012/Corp",
		"saml:edupersonaffiliation": "staff", "saml:mail": "alice@example.com"}
	for k, v := range want {
		if got := ctx[k]; len(got) == 0 || got[0] != v {
			t.Errorf("%s = %v, want %s", k, got, v)
		}
	}
	if len(ctx["saml:edupersonaffiliation"]) != 2 || ctx["saml:unrelated"] != nil {
		t.Errorf("context %v", ctx)
	}
	for format, want := range map[string]string{"": "unspecified", "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent": "persistent",
		"urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress": "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"} {
		if got := samlSubjectType(format); got != want {
			t.Errorf("samlSubjectType(%q) = %q, want %q", format, got, want)
		}
	}
}

// FuzzReadSAMLResponse feeds arbitrary documents (and base64 text) to the
// response reader, with signed, unsigned and encrypted seeds: it must never
// panic, and nothing without a signature (or ciphertext) may pass.
func FuzzReadSAMLResponse(f *testing.F) {
	idp, spKey := newTestIdP(f, false), newRSAKey(f)
	chk := &samlCheck{EntityID: testEntityID, Certs: []*x509.Certificate{idp.cert}, DecryptionKeys: []crypto.PrivateKey{spKey}, Now: testNow}
	for _, sp := range []samlSpec{{}, {signResponse: true}, {unsigned: true}, {extraAssertion: true},
		{encryptTo: &spKey.PublicKey, encryption: nsXMLEnc + "aes128-cbc"}, {encryptTo: &spKey.PublicKey, encryption: nsXMLEnc11 + "aes256-gcm", signResponse: true}} {
		raw, _ := base64.StdEncoding.DecodeString(idp.response(f, sp, testNow))
		f.Add(raw)
	}
	f.Add([]byte(`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"><ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"/></samlp:Response>`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		readSAMLResponse(string(doc), chk)
		a, err := readSAMLResponse(base64.StdEncoding.EncodeToString(doc), chk)
		// A signature may be inside the encrypted assertion.
		if err == nil && !strings.Contains(string(doc), "SignatureValue") && !strings.Contains(string(doc), "CipherValue") {
			t.Fatalf("unsigned document accepted: %+v", a)
		}
	})
}

// BenchmarkReadSAMLResponse measures verifying a response: parsing, XML
// canonicalization, an RSA-2048 signature check and, for the encrypted one,
// RSA-OAEP and AES-GCM decryption.
func BenchmarkReadSAMLResponse(b *testing.B) {
	idp, spKey := newTestIdP(b, true), newRSAKey(b)
	chk := &samlCheck{EntityID: testEntityID, Certs: []*x509.Certificate{idp.cert}, DecryptionKeys: []crypto.PrivateKey{spKey}, Now: testNow}
	for _, bc := range []struct {
		name string
		spec samlSpec
	}{
		{"signed", samlSpec{}},
		{"encrypted", samlSpec{encryptTo: &spKey.PublicKey, encryption: nsXMLEnc11 + "aes256-gcm"}},
	} {
		response := idp.response(b, bc.spec, testNow)
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := readSAMLResponse(response, chk); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
