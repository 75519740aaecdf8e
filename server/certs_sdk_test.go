package server_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"

	"github.com/gatehouse-iam/gatehouse/internal/testserver"
)

// testCert is a certificate and its key for tests.
type testCert struct {
	cert *x509.Certificate
	key  crypto.Signer
}

// issue makes an ECDSA certificate valid for a year, signed by parent
// (self-signed when nil).
func issue(t *testing.T, cn string, parent *testCert, isCA bool) *testCert {
	t.Helper()
	return issueUntil(t, cn, parent, isCA, time.Now().Add(365*24*time.Hour))
}

// issueUntil makes an ECDSA certificate that expires at notAfter.
func issueUntil(t *testing.T, cn string, parent *testCert, isCA bool, notAfter time.Time) *testCert {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: cn},
		NotBefore: notAfter.Add(-365 * 24 * time.Hour), NotAfter: notAfter.Truncate(time.Second),
		BasicConstraintsValid: true, IsCA: isCA, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign}
	signer, signerCert := crypto.Signer(key), tmpl
	if parent != nil {
		signer, signerCert = parent.key, parent.cert
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signerCert, key.Public(), signer)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &testCert{cert: cert, key: key}
}

func (c *testCert) certPEM() string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.cert.Raw}))
}

func (c *testCert) keyPEM(t *testing.T) string {
	der, err := x509.MarshalPKCS8PrivateKey(c.key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

// wantCode fails unless err carries the AWS error code (and, when msg is
// not "", that message).
func wantCode(t *testing.T, what string, err error, code, msg string) {
	t.Helper()
	if apiCode(err) != code {
		t.Fatalf("%s: want %s, have %v", what, code, err)
	}
	var ae smithy.APIError
	if msg != "" && errors.As(err, &ae) && ae.ErrorMessage() != msg {
		t.Fatalf("%s: message %q, want %q", what, ae.ErrorMessage(), msg)
	}
}

// must returns v, or stops the test run on an error: it panics, which the
// testing package reports with the failing call's stack.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestServerCertificates(t *testing.T) {
	ts := testserver.Start(t)
	ctx := context.Background()
	root := ts.IAMClient()
	ca := issue(t, "Root CA", nil, true)
	inter := issue(t, "Intermediate CA", ca, true)
	leaf := issue(t, "www.example.com", inter, false)
	other := issue(t, "other.example.com", inter, false)
	expired := issueUntil(t, "old.example.com", inter, false, time.Now().Add(-time.Hour))
	chain := inter.certPEM() + ca.certPEM()

	up, err := root.UploadServerCertificate(ctx, &iamsdk.UploadServerCertificateInput{
		ServerCertificateName: aws.String("web"), Path: aws.String("/cloudfront/"),
		CertificateBody: aws.String(leaf.certPEM()), PrivateKey: aws.String(leaf.keyPEM(t)), CertificateChain: aws.String(chain),
		Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("prod")}}})
	if err != nil {
		t.Fatal(err)
	}
	md := up.ServerCertificateMetadata
	if *md.Arn != "arn:aws:iam::"+testserver.Account+":server-certificate/cloudfront/web" || *md.Path != "/cloudfront/" ||
		!strings.HasPrefix(*md.ServerCertificateId, "ASCA") || !md.Expiration.Equal(leaf.cert.NotAfter) || len(up.Tags) != 1 {
		t.Fatalf("upload: %+v", md)
	}

	errs := []struct {
		name, certName, body, key, chain, code string
	}{
		{"not PEM", "a", "hello", leaf.keyPEM(t), "", "MalformedCertificate"},
		{"expired", "f", expired.certPEM(), expired.keyPEM(t), "", "MalformedCertificate"},
		{"key of another certificate", "b", leaf.certPEM(), other.keyPEM(t), "", "KeyPairMismatch"},
		{"key not PEM", "c", leaf.certPEM(), "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "", "MalformedCertificate"},
		{"chain out of order", "d", leaf.certPEM(), leaf.keyPEM(t), ca.certPEM() + inter.certPEM(), "MalformedCertificate"},
		{"chain not PEM", "e", leaf.certPEM(), leaf.keyPEM(t), "junk", "MalformedCertificate"},
		{"duplicate name", "WEB", leaf.certPEM(), leaf.keyPEM(t), "", "EntityAlreadyExists"},
	}
	for _, tc := range errs {
		in := &iamsdk.UploadServerCertificateInput{ServerCertificateName: aws.String(tc.certName),
			CertificateBody: aws.String(tc.body), PrivateKey: aws.String(tc.key)}
		if tc.chain != "" {
			in.CertificateChain = aws.String(tc.chain)
		}
		_, err := root.UploadServerCertificate(ctx, in)
		wantCode(t, tc.name, err, tc.code, "")
	}

	got := must(root.GetServerCertificate(ctx, &iamsdk.GetServerCertificateInput{ServerCertificateName: aws.String("web")}))
	if *got.ServerCertificate.CertificateBody != leaf.certPEM() || *got.ServerCertificate.CertificateChain != chain ||
		*got.ServerCertificate.ServerCertificateMetadata.Arn != *md.Arn || len(got.ServerCertificate.Tags) != 1 {
		t.Fatalf("get: %+v", got.ServerCertificate)
	}
	_, err = root.GetServerCertificate(ctx, &iamsdk.GetServerCertificateInput{ServerCertificateName: aws.String("nope")})
	wantCode(t, "get missing", err, "NoSuchEntity", "The Server Certificate with name nope cannot be found.")

	for _, name := range []string{"api", "mail"} {
		c := issue(t, name+".example.com", inter, false)
		must(root.UploadServerCertificate(ctx, &iamsdk.UploadServerCertificateInput{ServerCertificateName: aws.String(name),
			CertificateBody: aws.String(c.certPEM()), PrivateKey: aws.String(c.keyPEM(t))}))
	}
	var names []string
	var marker *string
	for pages := 0; ; pages++ {
		l := must(root.ListServerCertificates(ctx, &iamsdk.ListServerCertificatesInput{MaxItems: aws.Int32(2), Marker: marker}))
		for _, m := range l.ServerCertificateMetadataList {
			names = append(names, *m.ServerCertificateName)
		}
		if !l.IsTruncated {
			if pages != 1 {
				t.Fatalf("want 2 pages, have %d", pages+1)
			}
			break
		}
		marker = l.Marker
	}
	if strings.Join(names, ",") != "api,mail,web" {
		t.Fatalf("list: %v", names)
	}
	l := must(root.ListServerCertificates(ctx, &iamsdk.ListServerCertificatesInput{PathPrefix: aws.String("/cloudfront/")}))
	if len(l.ServerCertificateMetadataList) != 1 || *l.ServerCertificateMetadataList[0].ServerCertificateName != "web" {
		t.Fatalf("path prefix: %+v", l.ServerCertificateMetadataList)
	}

	_, err = root.UpdateServerCertificate(ctx, &iamsdk.UpdateServerCertificateInput{ServerCertificateName: aws.String("web"),
		NewServerCertificateName: aws.String("API")})
	wantCode(t, "rename onto another", err, "EntityAlreadyExists", "")
	must(root.UpdateServerCertificate(ctx, &iamsdk.UpdateServerCertificateInput{ServerCertificateName: aws.String("web"),
		NewServerCertificateName: aws.String("site"), NewPath: aws.String("/elb/")}))
	_, err = root.GetServerCertificate(ctx, &iamsdk.GetServerCertificateInput{ServerCertificateName: aws.String("web")})
	wantCode(t, "old name", err, "NoSuchEntity", "")
	got = must(root.GetServerCertificate(ctx, &iamsdk.GetServerCertificateInput{ServerCertificateName: aws.String("site")}))
	if *got.ServerCertificate.ServerCertificateMetadata.Arn != "arn:aws:iam::"+testserver.Account+":server-certificate/elb/site" ||
		*got.ServerCertificate.ServerCertificateMetadata.ServerCertificateId != *md.ServerCertificateId {
		t.Fatalf("renamed: %+v", got.ServerCertificate.ServerCertificateMetadata)
	}

	must(root.TagServerCertificate(ctx, &iamsdk.TagServerCertificateInput{ServerCertificateName: aws.String("site"),
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("edge")}, {Key: aws.String("ENV"), Value: aws.String("dev")}}}))
	tags := must(root.ListServerCertificateTags(ctx, &iamsdk.ListServerCertificateTagsInput{ServerCertificateName: aws.String("site"), MaxItems: aws.Int32(1)}))
	if len(tags.Tags) != 1 || !tags.IsTruncated || *tags.Tags[0].Key != "ENV" || *tags.Tags[0].Value != "dev" {
		t.Fatalf("tags page 1: %+v", tags)
	}
	tags = must(root.ListServerCertificateTags(ctx, &iamsdk.ListServerCertificateTagsInput{ServerCertificateName: aws.String("site"), Marker: tags.Marker}))
	if len(tags.Tags) != 1 || tags.IsTruncated || *tags.Tags[0].Key != "team" {
		t.Fatalf("tags page 2: %+v", tags)
	}
	must(root.UntagServerCertificate(ctx, &iamsdk.UntagServerCertificateInput{ServerCertificateName: aws.String("site"), TagKeys: []string{"env"}}))
	tags = must(root.ListServerCertificateTags(ctx, &iamsdk.ListServerCertificateTagsInput{ServerCertificateName: aws.String("site")}))
	if len(tags.Tags) != 1 || *tags.Tags[0].Key != "team" {
		t.Fatalf("untag: %+v", tags.Tags)
	}
	_, err = root.TagServerCertificate(ctx, &iamsdk.TagServerCertificateInput{ServerCertificateName: aws.String("nope"),
		Tags: []types.Tag{{Key: aws.String("a"), Value: aws.String("b")}}})
	wantCode(t, "tag missing", err, "NoSuchEntity", "")

	must(root.DeleteServerCertificate(ctx, &iamsdk.DeleteServerCertificateInput{ServerCertificateName: aws.String("site")}))
	_, err = root.DeleteServerCertificate(ctx, &iamsdk.DeleteServerCertificateInput{ServerCertificateName: aws.String("site")})
	wantCode(t, "delete twice", err, "NoSuchEntity", "The Server Certificate with name site cannot be found.")
}

// limitedClient creates a user with an inline policy and returns a client
// signing with a new access key of that user.
func limitedClient(t *testing.T, ts *testserver.Server, user, policy string) *iamsdk.Client {
	t.Helper()
	ctx := context.Background()
	root := ts.IAMClient()
	must(root.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String(user)}))
	must(root.PutUserPolicy(ctx, &iamsdk.PutUserPolicyInput{UserName: aws.String(user), PolicyName: aws.String("p"),
		PolicyDocument: aws.String(policy)}))
	key := must(root.CreateAccessKey(ctx, &iamsdk.CreateAccessKeyInput{UserName: aws.String(user)}))
	return iamsdk.NewFromConfig(ts.Config(*key.AccessKey.AccessKeyId, *key.AccessKey.SecretAccessKey))
}

func TestSigningCertificates(t *testing.T) {
	ts := testserver.Start(t)
	ctx := context.Background()
	root := ts.IAMClient()
	must(root.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("bob")}))
	c1, c2, c3 := issue(t, "one", nil, false), issue(t, "two", nil, false), issue(t, "three", nil, false)

	up := must(root.UploadSigningCertificate(ctx, &iamsdk.UploadSigningCertificateInput{UserName: aws.String("bob"), CertificateBody: aws.String(c1.certPEM())}))
	if *up.Certificate.UserName != "bob" || up.Certificate.Status != types.StatusTypeActive || len(*up.Certificate.CertificateId) < 24 {
		t.Fatalf("upload: %+v", up.Certificate)
	}
	id1 := *up.Certificate.CertificateId
	errs := []struct {
		name, user, body, code string
	}{
		{"same certificate again", "bob", c1.certPEM(), "DuplicateCertificate"},
		{"not PEM", "bob", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "MalformedCertificate"},
		{"no such user", "nobody", c2.certPEM(), "NoSuchEntity"},
		{"expired", "bob", issueUntil(t, "old", nil, false, time.Now().Add(-time.Minute)).certPEM(), "MalformedCertificate"},
	}
	for _, tc := range errs {
		_, err := root.UploadSigningCertificate(ctx, &iamsdk.UploadSigningCertificateInput{UserName: aws.String(tc.user), CertificateBody: aws.String(tc.body)})
		wantCode(t, tc.name, err, tc.code, "")
	}
	must(root.UploadSigningCertificate(ctx, &iamsdk.UploadSigningCertificateInput{UserName: aws.String("bob"), CertificateBody: aws.String(c2.certPEM())}))
	_, err := root.UploadSigningCertificate(ctx, &iamsdk.UploadSigningCertificateInput{UserName: aws.String("bob"), CertificateBody: aws.String(c3.certPEM())})
	wantCode(t, "third certificate", err, "LimitExceeded", "Cannot exceed quota for SigningCertificatesPerUser: 2")

	// The account root has its own certificates (no UserName).
	rootCert := must(root.UploadSigningCertificate(ctx, &iamsdk.UploadSigningCertificateInput{CertificateBody: aws.String(c3.certPEM())}))
	if rootCert.Certificate.UserName != nil {
		t.Fatalf("root certificate names a user: %+v", rootCert.Certificate)
	}
	rl := must(root.ListSigningCertificates(ctx, &iamsdk.ListSigningCertificatesInput{}))
	if len(rl.Certificates) != 1 || *rl.Certificates[0].CertificateId != *rootCert.Certificate.CertificateId {
		t.Fatalf("root list: %+v", rl.Certificates)
	}

	must(root.UpdateSigningCertificate(ctx, &iamsdk.UpdateSigningCertificateInput{UserName: aws.String("bob"), CertificateId: aws.String(id1), Status: types.StatusTypeInactive}))
	// Certificates follow their user through a rename.
	must(root.UpdateUser(ctx, &iamsdk.UpdateUserInput{UserName: aws.String("bob"), NewUserName: aws.String("robert")}))
	var seen []types.SigningCertificate
	var marker *string
	for {
		l := must(root.ListSigningCertificates(ctx, &iamsdk.ListSigningCertificatesInput{UserName: aws.String("robert"), MaxItems: aws.Int32(1), Marker: marker}))
		seen = append(seen, l.Certificates...)
		if !l.IsTruncated {
			break
		}
		marker = l.Marker
	}
	if len(seen) != 2 {
		t.Fatalf("list: %+v", seen)
	}
	for _, c := range seen {
		want := types.StatusTypeActive
		if *c.CertificateId == id1 {
			want = types.StatusTypeInactive
		}
		if *c.UserName != "robert" || c.Status != want {
			t.Fatalf("listed: %+v", c)
		}
	}

	_, err = root.DeleteSigningCertificate(ctx, &iamsdk.DeleteSigningCertificateInput{UserName: aws.String("robert"), CertificateId: rootCert.Certificate.CertificateId})
	wantCode(t, "another owner's certificate", err, "NoSuchEntity", "The Certificate with id "+*rootCert.Certificate.CertificateId+" cannot be found.")
	must(root.DeleteSigningCertificate(ctx, &iamsdk.DeleteSigningCertificateInput{UserName: aws.String("robert"), CertificateId: aws.String(id1)}))
	_, err = root.UpdateSigningCertificate(ctx, &iamsdk.UpdateSigningCertificateInput{UserName: aws.String("robert"), CertificateId: aws.String(id1), Status: types.StatusTypeActive})
	wantCode(t, "deleted certificate", err, "NoSuchEntity", "")
}

// Test keys made with ssh-keygen; the fingerprint and PKCS #8 form are
// ssh-keygen's (-l -E md5, -e -m PKCS8).
const (
	sshKey2048    = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDfSJVIKjDqVmjLUcIYASY/BRMxXbXkXpiC74knm6WMYYZKV2hxMFo45avT2L/0TFR55ZAL0iDN29n4WRYodViZmW1EfZ3Slz0j2+yhFVFkSdth0NU1TZcWzKHpalOelz7AvraldYhjVaRA/7H75LfJeimCiMdbCvDO0ufy1q166HFS1IlKW4PRH40tXXKlDDIrutyPt6X2xCaoBUkEJR+lZQJWbVGrJzJwY4f90PH7qF3UATX+h3p4O/mZnUqCvpVuDC+Ial/993bV3Jg4RJw0kB+nGnHwRa1wxfPW+SmtE+QM3KtWe7UvVogkhT+hozngGzitECttn+cMLXwtHJzN test@example"
	sshKey2048MD5 = "34:3a:6c:bc:62:d6:4e:73:b3:b2:5e:70:70:c4:eb:89"
	sshKey2048PEM = `-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA30iVSCow6lZoy1HCGAEm
PwUTMV215F6Ygu+JJ5uljGGGSldocTBaOOWr09i/9ExUeeWQC9IgzdvZ+FkWKHVY
mZltRH2d0pc9I9vsoRVRZEnbYdDVNU2XFsyh6WpTnpc+wL62pXWIY1WkQP+x++S3
yXopgojHWwrwztLn8tateuhxUtSJSluD0R+NLV1ypQwyK7rcj7el9sQmqAVJBCUf
pWUCVm1RqycycGOH/dDx+6hd1AE1/od6eDv5mZ1Kgr6VbgwviGpf/fd21dyYOESc
NJAfpxpx8EWtcMXz1vkprRPkDNyrVnu1L1aIJIU/oaM54Bs4rRArbZ/nDC18LRyc
zQIDAQAB
-----END PUBLIC KEY-----
`
	sshKey1024    = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQCoJK6qucWpLATr60TkmlmYChGkbomcNwa/kN4anP1ss+XKaWG9khmaMbR9yqEhLBWIunxEZOnPtUc+ILSJabcECMjt4yw6/DwJQQCDwwZz3VDab64o62yfGRRylIh7r3p+fYq3X+LSP2oLQYs4S27KCKvZ3XGr9c5Vpw9yu1nsGQ=="
	sshKeyEd25519 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDwc4e4G+2fCv0caAr3Wy6x5ZW/sfdyBrkvHIRLUEAuV"
)

// sshRSA renders a fresh RSA key in OpenSSH form.
func sshRSA(t *testing.T) string {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	var blob []byte
	e := big.NewInt(int64(k.E)).Bytes()
	n := append([]byte{0}, k.N.Bytes()...)
	for _, part := range [][]byte{[]byte("ssh-rsa"), e, n} {
		blob = binary.BigEndian.AppendUint32(blob, uint32(len(part)))
		blob = append(blob, part...)
	}
	return "ssh-rsa " + base64.StdEncoding.EncodeToString(blob)
}

func TestSSHPublicKeys(t *testing.T) {
	ts := testserver.Start(t)
	ctx := context.Background()
	root := ts.IAMClient()
	must(root.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("dev")}))

	up := must(root.UploadSSHPublicKey(ctx, &iamsdk.UploadSSHPublicKeyInput{UserName: aws.String("dev"), SSHPublicKeyBody: aws.String(sshKey2048)}))
	k := up.SSHPublicKey
	if *k.Fingerprint != sshKey2048MD5 || *k.UserName != "dev" || k.Status != types.StatusTypeActive || !strings.HasPrefix(*k.SSHPublicKeyId, "APKA") {
		t.Fatalf("upload: %+v", k)
	}
	for _, enc := range []struct {
		encoding types.EncodingType
		want     string
	}{
		{types.EncodingTypeSsh, strings.TrimSuffix(sshKey2048, " test@example")},
		{types.EncodingTypePem, sshKey2048PEM},
	} {
		got := must(root.GetSSHPublicKey(ctx, &iamsdk.GetSSHPublicKeyInput{UserName: aws.String("dev"), SSHPublicKeyId: k.SSHPublicKeyId, Encoding: enc.encoding}))
		if *got.SSHPublicKey.SSHPublicKeyBody != enc.want || *got.SSHPublicKey.Fingerprint != sshKey2048MD5 {
			t.Fatalf("get %s: %q", enc.encoding, *got.SSHPublicKey.SSHPublicKeyBody)
		}
	}

	errs := []struct {
		name, user, body, code string
	}{
		{"same key as PEM", "dev", sshKey2048PEM, "DuplicateSSHPublicKey"},
		{"1024-bit key", "dev", sshKey1024, "InvalidPublicKey"},
		{"ed25519 key", "dev", sshKeyEd25519, "UnrecognizedPublicKeyEncoding"},
		{"not a key", "dev", "hello world", "UnrecognizedPublicKeyEncoding"},
		{"truncated blob", "dev", "ssh-rsa AAAAB3NzaC1yc2EAAAADAQAB", "InvalidPublicKey"},
		{"no such user", "nobody", sshKey2048, "NoSuchEntity"},
	}
	for _, tc := range errs {
		_, err := root.UploadSSHPublicKey(ctx, &iamsdk.UploadSSHPublicKeyInput{UserName: aws.String(tc.user), SSHPublicKeyBody: aws.String(tc.body)})
		wantCode(t, tc.name, err, tc.code, "")
	}
	for i := 0; i < 4; i++ {
		must(root.UploadSSHPublicKey(ctx, &iamsdk.UploadSSHPublicKeyInput{UserName: aws.String("dev"), SSHPublicKeyBody: aws.String(sshRSA(t))}))
	}
	_, err := root.UploadSSHPublicKey(ctx, &iamsdk.UploadSSHPublicKeyInput{UserName: aws.String("dev"), SSHPublicKeyBody: aws.String(sshRSA(t))})
	wantCode(t, "sixth key", err, "LimitExceeded", "Cannot exceed quota for SSHPublicKeysPerUser: 5")

	must(root.UpdateSSHPublicKey(ctx, &iamsdk.UpdateSSHPublicKeyInput{UserName: aws.String("dev"), SSHPublicKeyId: k.SSHPublicKeyId, Status: types.StatusTypeInactive}))
	var listed []types.SSHPublicKeyMetadata
	var marker *string
	for {
		l := must(root.ListSSHPublicKeys(ctx, &iamsdk.ListSSHPublicKeysInput{UserName: aws.String("dev"), MaxItems: aws.Int32(2), Marker: marker}))
		listed = append(listed, l.SSHPublicKeys...)
		if !l.IsTruncated {
			break
		}
		marker = l.Marker
	}
	if len(listed) != 5 {
		t.Fatalf("listed %d keys", len(listed))
	}
	for _, m := range listed {
		if (*m.SSHPublicKeyId == *k.SSHPublicKeyId) != (m.Status == types.StatusTypeInactive) {
			t.Fatalf("status: %+v", m)
		}
	}

	must(root.DeleteSSHPublicKey(ctx, &iamsdk.DeleteSSHPublicKeyInput{UserName: aws.String("dev"), SSHPublicKeyId: k.SSHPublicKeyId}))
	_, err = root.GetSSHPublicKey(ctx, &iamsdk.GetSSHPublicKeyInput{UserName: aws.String("dev"), SSHPublicKeyId: k.SSHPublicKeyId, Encoding: types.EncodingTypeSsh})
	wantCode(t, "deleted key", err, "NoSuchEntity", "The Public Key with id "+*k.SSHPublicKeyId+" cannot be found.")
	_, err = root.DeleteSSHPublicKey(ctx, &iamsdk.DeleteSSHPublicKeyInput{UserName: aws.String("dev"), SSHPublicKeyId: k.SSHPublicKeyId})
	wantCode(t, "delete twice", err, "NoSuchEntity", "")
}

func TestServiceSpecificCredentials(t *testing.T) {
	ts := testserver.Start(t)
	ctx := context.Background()
	root := ts.IAMClient()
	for _, u := range []string{"carol", "dave"} {
		must(root.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String(u)}))
	}
	create := func(user, service string, days int32) (*types.ServiceSpecificCredential, error) {
		in := &iamsdk.CreateServiceSpecificCredentialInput{UserName: aws.String(user), ServiceName: aws.String(service)}
		if days > 0 {
			in.CredentialAgeDays = aws.Int32(days)
		}
		out, err := root.CreateServiceSpecificCredential(ctx, in)
		if err != nil {
			return nil, err
		}
		return out.ServiceSpecificCredential, nil
	}
	git := must(create("carol", "codecommit.amazonaws.com", 0))
	if *git.ServiceUserName != "carol-at-"+testserver.Account || len(*git.ServicePassword) != 44 || git.Status != types.StatusTypeActive ||
		*git.UserName != "carol" || git.ExpirationDate != nil {
		t.Fatalf("codecommit: %+v", git)
	}
	must(create("carol", "codecommit.amazonaws.com", 0))
	_, err := create("carol", "codecommit.amazonaws.com", 0)
	wantCode(t, "third codecommit credential", err, "LimitExceeded", "Cannot exceed quota for ServiceSpecificCredentialsPerUserPerService: 2")
	key := must(create("carol", "bedrock.amazonaws.com", 30))
	if !strings.HasPrefix(*key.ServiceCredentialSecret, "ABSK") || key.ServiceCredentialAlias == nil || key.ServicePassword != nil ||
		key.ExpirationDate == nil || key.ExpirationDate.Sub(*key.CreateDate) != 30*24*time.Hour {
		t.Fatalf("bedrock: %+v", key)
	}
	must(create("dave", "cassandra.amazonaws.com", 0))
	errs := []struct {
		name, user, service string
		days                int32
		code                string
	}{
		{"unsupported service", "carol", "s3.amazonaws.com", 0, "NotSupportedService"},
		{"age for a password", "carol", "cassandra.amazonaws.com", 5, "InvalidInput"},
		{"no such user", "nobody", "codecommit.amazonaws.com", 0, "NoSuchEntity"},
	}
	for _, tc := range errs {
		_, err := create(tc.user, tc.service, tc.days)
		wantCode(t, tc.name, err, tc.code, "")
	}

	count := func(in *iamsdk.ListServiceSpecificCredentialsInput) int {
		n := 0
		for {
			l := must(root.ListServiceSpecificCredentials(ctx, in))
			n += len(l.ServiceSpecificCredentials)
			for _, c := range l.ServiceSpecificCredentials {
				if c.UserName == nil || *c.UserName == "" {
					t.Fatalf("listed without a user: %+v", c)
				}
			}
			if !l.IsTruncated {
				return n
			}
			in.Marker = l.Marker
		}
	}
	for _, tc := range []struct {
		name string
		in   *iamsdk.ListServiceSpecificCredentialsInput
		want int
	}{
		{"carol's", &iamsdk.ListServiceSpecificCredentialsInput{UserName: aws.String("carol")}, 3},
		{"carol's codecommit", &iamsdk.ListServiceSpecificCredentialsInput{UserName: aws.String("carol"), ServiceName: aws.String("codecommit.amazonaws.com")}, 2},
		{"everyone's, paged", &iamsdk.ListServiceSpecificCredentialsInput{AllUsers: aws.Bool(true), MaxItems: aws.Int32(3)}, 4},
		{"everyone's cassandra", &iamsdk.ListServiceSpecificCredentialsInput{AllUsers: aws.Bool(true), ServiceName: aws.String("cassandra.amazonaws.com")}, 1},
	} {
		if n := count(tc.in); n != tc.want {
			t.Fatalf("%s: listed %d, want %d", tc.name, n, tc.want)
		}
	}
	_, err = root.ListServiceSpecificCredentials(ctx, &iamsdk.ListServiceSpecificCredentialsInput{UserName: aws.String("carol"), ServiceName: aws.String("nope")})
	wantCode(t, "list unsupported service", err, "NotSupportedService", "")
	_, err = root.ListServiceSpecificCredentials(ctx, &iamsdk.ListServiceSpecificCredentialsInput{UserName: aws.String("carol"), AllUsers: aws.Bool(true)})
	wantCode(t, "list a user's and everyone's", err, "InvalidInput", "")

	must(root.UpdateServiceSpecificCredential(ctx, &iamsdk.UpdateServiceSpecificCredentialInput{UserName: aws.String("carol"),
		ServiceSpecificCredentialId: git.ServiceSpecificCredentialId, Status: types.StatusTypeInactive}))
	reset := must(root.ResetServiceSpecificCredential(ctx, &iamsdk.ResetServiceSpecificCredentialInput{UserName: aws.String("carol"),
		ServiceSpecificCredentialId: git.ServiceSpecificCredentialId}))
	if *reset.ServiceSpecificCredential.ServicePassword == *git.ServicePassword || reset.ServiceSpecificCredential.Status != types.StatusTypeInactive {
		t.Fatalf("reset: %+v", reset.ServiceSpecificCredential)
	}
	_, err = root.ResetServiceSpecificCredential(ctx, &iamsdk.ResetServiceSpecificCredentialInput{UserName: aws.String("dave"),
		ServiceSpecificCredentialId: git.ServiceSpecificCredentialId})
	wantCode(t, "another user's credential", err, "NoSuchEntity", "")
	must(root.DeleteServiceSpecificCredential(ctx, &iamsdk.DeleteServiceSpecificCredentialInput{UserName: aws.String("carol"),
		ServiceSpecificCredentialId: git.ServiceSpecificCredentialId}))
	_, err = root.DeleteServiceSpecificCredential(ctx, &iamsdk.DeleteServiceSpecificCredentialInput{UserName: aws.String("carol"),
		ServiceSpecificCredentialId: git.ServiceSpecificCredentialId})
	wantCode(t, "delete twice", err, "NoSuchEntity", "")

	// iam:ServiceSpecificCredentialServiceName limits which services a user
	// may create credentials for.
	erin := limitedClient(t, ts, "erin", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:CreateServiceSpecificCredential",
		"Resource":"*","Condition":{"StringEquals":{"iam:ServiceSpecificCredentialServiceName":"codecommit.amazonaws.com"}}}]}`)
	if _, err := erin.CreateServiceSpecificCredential(ctx, &iamsdk.CreateServiceSpecificCredentialInput{UserName: aws.String("erin"),
		ServiceName: aws.String("codecommit.amazonaws.com")}); err != nil {
		t.Fatal(err)
	}
	_, err = erin.CreateServiceSpecificCredential(ctx, &iamsdk.CreateServiceSpecificCredentialInput{UserName: aws.String("erin"),
		ServiceName: aws.String("bedrock.amazonaws.com")})
	wantCode(t, "bedrock for erin", err, "AccessDenied", "")

	// Listing every user's credentials is authorized on user/*.
	frank := limitedClient(t, ts, "frank", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListServiceSpecificCredentials",
		"Resource":"arn:aws:iam::*:user/frank"}]}`)
	if _, err := frank.ListServiceSpecificCredentials(ctx, &iamsdk.ListServiceSpecificCredentialsInput{}); err != nil {
		t.Fatal(err)
	}
	_, err = frank.ListServiceSpecificCredentials(ctx, &iamsdk.ListServiceSpecificCredentialsInput{AllUsers: aws.Bool(true)})
	wantCode(t, "everyone's for frank", err, "AccessDenied", "")
}
