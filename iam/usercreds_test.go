package iam

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/authz"
	"github.com/gatehouse-iam/gatehouse/awserr"
	"github.com/gatehouse-iam/gatehouse/protocol"
	"github.com/gatehouse-iam/gatehouse/store"
	"github.com/gatehouse-iam/gatehouse/store/sqlite"
)

func awsErrCode(err error) string {
	if e := awserr.As(err); e != nil {
		return e.Code
	}
	if err != nil {
		return err.Error()
	}
	return ""
}

func TestOIDCName(t *testing.T) {
	for _, tc := range []struct{ url, name, code string }{
		{"https://token.example.com", "token.example.com", ""},
		{"https://token.example.com/", "token.example.com", ""},
		{"https://token.example.com/a/b", "token.example.com/a/b", ""},
		{"HTTPS://token.example.com:8443/x", "token.example.com:8443/x", ""},
		{"http://token.example.com", "", "InvalidInput"},
		{"token.example.com", "", "InvalidInput"},
		{"https://", "", "InvalidInput"},
		{"https://u:p@token.example.com", "", "InvalidInput"},
		{"https://token.example.com/?", "", "InvalidInput"},
		{"https://token.example.com/#f", "", "InvalidInput"},
		{"https://token.example.com/%zz", "", "InvalidInput"},
	} {
		name, err := oidcName(tc.url)
		if name != tc.name || awsErrCode(err) != tc.code {
			t.Errorf("oidcName(%q) = %q, %v; want %q, %s", tc.url, name, err, tc.name, tc.code)
		}
	}
}

func TestParseSSHPublicKey(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	sshForm := "ssh-rsa " + base64.StdEncoding.EncodeToString(encodeSSHRSA(&key.PublicKey))
	pkix, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	pkixPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pkix}))
	pkcs1PEM := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&key.PublicKey)}))
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecDER, _ := x509.MarshalPKIXPublicKey(&ec.PublicKey)
	ecPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: ecDER}))
	negative := encodeSSHRSA(&key.PublicKey)
	negative[4+7+4+len(mpint(big.NewInt(int64(key.E))))+4] = 0x80 // n's leading zero byte → sign bit
	for _, tc := range []struct{ name, body, code string }{
		{"ssh", sshForm, ""},
		{"ssh with comment and newline", sshForm + " me@host\n", ""},
		{"PKIX PEM", pkixPEM, ""},
		{"PKCS #1 PEM", pkcs1PEM, ""},
		{"EC PEM", ecPEM, "UnrecognizedPublicKeyEncoding"},
		{"PEM with trailing junk", pkixPEM + "junk", "UnrecognizedPublicKeyEncoding"},
		{"PEM of another type", strings.ReplaceAll(pkixPEM, "PUBLIC KEY", "CERTIFICATE"), "UnrecognizedPublicKeyEncoding"},
		{"ssh-dss", "ssh-dss AAAA", "UnrecognizedPublicKeyEncoding"},
		{"no base64", "ssh-rsa !!!", "InvalidPublicKey"},
		{"truncated", "ssh-rsa " + base64.StdEncoding.EncodeToString(encodeSSHRSA(&key.PublicKey)[:40]), "InvalidPublicKey"},
		{"negative modulus", "ssh-rsa " + base64.StdEncoding.EncodeToString(negative), "InvalidPublicKey"},
		{"empty", "", "UnrecognizedPublicKeyEncoding"},
	} {
		k, err := parseSSHPublicKey(tc.body)
		if awsErrCode(err) != tc.code {
			t.Errorf("%s: %v, want %s", tc.name, err, tc.code)
		}
		if err == nil && !k.Equal(&key.PublicKey) {
			t.Errorf("%s: another key", tc.name)
		}
	}
}

func FuzzParseSSHPublicKey(f *testing.F) {
	f.Add("ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQCoJK6qucWpLATr60TkmlmYChGkbomcNwa/kN4anP1ss+XKaWG9khmaMbR9yqEhLBWIunxEZOnPtUc+ILSJabcECMjt4yw6/DwJQQCDwwZz3VDab64o62yfGRRylIh7r3p+fYq3X+LSP2oLQYs4S27KCKvZ3XGr9c5Vpw9yu1nsGQ==")
	f.Add("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")
	f.Fuzz(func(t *testing.T, body string) {
		if k, err := parseSSHPublicKey(body); err == nil && k.N.BitLen() < sshMinRSABits {
			t.Fatalf("accepted a %d-bit key", k.N.BitLen())
		}
	})
}

// selfSigned returns a DER certificate.
func selfSigned(t testing.TB) []byte {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "idp"},
		NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func metadata(attrs, use, cert string) string {
	return `<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="urn:idp"` + attrs + `>` +
		`<IDPSSODescriptor><KeyDescriptor` + use + `><KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><X509Data>` +
		`<X509Certificate>` + cert + `</X509Certificate></X509Data></KeyInfo></KeyDescriptor></IDPSSODescriptor></EntityDescriptor>`
}

func TestParseSAMLMetadata(t *testing.T) {
	cert := base64.StdEncoding.EncodeToString(selfSigned(t))
	wrapped := ""
	for i := 0; i < len(cert); i += 64 {
		wrapped += cert[i:min(i+64, len(cert))] + "\n  "
	}
	for _, tc := range []struct {
		name, doc  string
		ok         bool
		validUntil string
	}{
		{"signing key", metadata("", ` use="signing"`, cert), true, ""},
		{"key without use", metadata("", "", wrapped), true, ""},
		{"validUntil", metadata(` validUntil="2031-05-06T07:08:09.5+02:00"`, "", cert), true, "2031-05-06T05:08:09.5Z"},
		{"encryption key only", metadata("", ` use="encryption"`, cert), false, ""},
		{"bad validUntil", metadata(` validUntil="tomorrow"`, "", cert), false, ""},
		{"certificate not base64", metadata("", "", "!!"), false, ""},
		{"certificate not DER", metadata("", "", "AAAA"), false, ""},
		{"no entityID", strings.Replace(metadata("", "", cert), `entityID="urn:idp"`, "", 1), false, ""},
		{"no IdP", `<EntityDescriptor entityID="x"><SPSSODescriptor/></EntityDescriptor>`, false, ""},
		{"not XML", "<<<", false, ""},
	} {
		md, err := parseSAMLMetadata(tc.doc)
		if (err == nil) != tc.ok {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if err != nil {
			if e := awserr.As(err); e == nil || e.Code != "InvalidInput" || e.Message != "Could not parse metadata" {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		if md.entityID != "urn:idp" || len(md.signing) != 1 {
			t.Errorf("%s: %+v", tc.name, md)
		}
		if got := ""; md.validUntil != nil {
			got = md.validUntil.Format(time.RFC3339Nano)
			if got != tc.validUntil {
				t.Errorf("%s: validUntil %s, want %s", tc.name, got, tc.validUntil)
			}
		} else if tc.validUntil != "" {
			t.Errorf("%s: no validUntil", tc.name)
		}
	}
}

func FuzzParseSAMLMetadata(f *testing.F) {
	f.Add(metadata(` validUntil="2031-01-01T00:00:00Z"`, ` use="signing"`, base64.StdEncoding.EncodeToString(selfSigned(f))))
	f.Fuzz(func(t *testing.T, doc string) {
		if md, err := parseSAMLMetadata(doc); err == nil && (md.entityID == "" || len(md.signing) == 0) {
			t.Fatalf("accepted metadata without an entity id or certificate: %+v", md)
		}
	})
}

// TestUserCredentialsConflict checks the DeleteUser guard for each kind of
// credential a user owns.
func TestUserCredentialsConflict(t *testing.T) {
	s, call := newTestService(t)
	ctx, account := context.Background(), testAccount
	conflict := func() string {
		var msg string
		err := s.store.View(ctx, func(tx store.Tx) error {
			u, _, err := get[User](ctx, tx, kindUser, account, "ann", "")
			if err != nil {
				return err
			}
			if e := awserr.As(s.userCredentialsConflict(&Call{Ctx: ctx, Account: account}, tx, u)); e != nil {
				msg = e.Message
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return msg
	}
	call("CreateUser", protocol.Params{"UserName": "ann"})
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	certPEM := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: selfSigned(t)}))
	steps := []struct {
		op, del, idOf, idParam string
		p                      protocol.Params
		want                   string
	}{
		{"UploadSigningCertificate", "DeleteSigningCertificate", "Certificate", "CertificateId", protocol.Params{"UserName": "ann", "CertificateBody": certPEM},
			"Cannot delete entity, must delete signing certificates first."},
		{"UploadSSHPublicKey", "DeleteSSHPublicKey", "SSHPublicKey", "SSHPublicKeyId",
			protocol.Params{"UserName": "ann", "SSHPublicKeyBody": "ssh-rsa " + base64.StdEncoding.EncodeToString(encodeSSHRSA(&key.PublicKey))},
			"Cannot delete entity, must delete SSH public keys first."},
		{"CreateServiceSpecificCredential", "DeleteServiceSpecificCredential", "ServiceSpecificCredential", "ServiceSpecificCredentialId",
			protocol.Params{"UserName": "ann", "ServiceName": "codecommit.amazonaws.com"},
			"Cannot delete entity, must delete service specific credentials first."},
	}
	if msg := conflict(); msg != "" {
		t.Fatalf("no credentials: %s", msg)
	}
	for _, step := range steps {
		out := call(step.op, step.p).(map[string]any)[step.idOf].(map[string]any)
		if msg := conflict(); msg != step.want {
			t.Fatalf("after %s: %q, want %q", step.op, msg, step.want)
		}
		call(step.del, protocol.Params{"UserName": "ann", step.idParam: out[step.idParam].(string)})
		if msg := conflict(); msg != "" {
			t.Fatalf("after deleting: %s", msg)
		}
	}
}

// TestServiceCredentialExpiry checks that an API key reports Expired once
// its CredentialAgeDays have passed.
func TestServiceCredentialExpiry(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.OpenMemory()
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	sealer, _ := NewSealer(make([]byte, 32))
	s, err := New(ctx, Config{Store: st, Sealer: sealer})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	call := func(op string, now time.Time, p protocol.Params) map[string]any {
		t.Helper()
		c := &Call{Ctx: ctx, Account: "111122223333", Params: p, Now: now, Context: authz.Context{}}
		out, err := operations[op].Handle(s, c)
		if err != nil {
			t.Fatalf("%s: %v", op, err)
		}
		m, _ := out.(map[string]any)
		return m
	}
	call("CreateUser", start, protocol.Params{"UserName": "kim"})
	call("CreateServiceSpecificCredential", start, protocol.Params{"UserName": "kim", "ServiceName": "bedrock.amazonaws.com", "CredentialAgeDays": int64(1)})
	for _, tc := range []struct {
		at   time.Time
		want string
	}{
		{start.Add(23 * time.Hour), "Active"},
		{start.Add(24 * time.Hour), "Expired"},
	} {
		l := call("ListServiceSpecificCredentials", tc.at, protocol.Params{"UserName": "kim"})["ServiceSpecificCredentials"].([]map[string]any)
		if len(l) != 1 || l[0]["Status"] != tc.want {
			t.Fatalf("at %s: %+v, want %s", tc.at, l, tc.want)
		}
	}
}

func BenchmarkParseSAMLMetadata(b *testing.B) {
	doc := metadata(` validUntil="2031-01-01T00:00:00Z"`, ` use="signing"`, base64.StdEncoding.EncodeToString(selfSigned(b)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := parseSAMLMetadata(doc); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkNewSSHPublicKey(b *testing.B) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		b.Fatal(err)
	}
	body := "ssh-rsa " + base64.StdEncoding.EncodeToString(encodeSSHRSA(&key.PublicKey)) + " me@host"
	b.ReportAllocs()
	for b.Loop() {
		if _, err := newSSHPublicKey(body, time.Now()); err != nil {
			b.Fatal(err)
		}
	}
}
