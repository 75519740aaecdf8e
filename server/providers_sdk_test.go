package server_test

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/gatehouse-iam/gatehouse/internal/testserver"
)

const (
	thumbA = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280"
	thumbB = "0123456789ABCDEF0123456789abcdef01234567"
)

func TestOIDCProviders(t *testing.T) {
	ts := testserver.Start(t)
	ctx := context.Background()
	root := ts.IAMClient()
	arnOf := func(name string) string { return "arn:aws:iam::" + testserver.Account + ":oidc-provider/" + name }

	created := must(root.CreateOpenIDConnectProvider(ctx, &iamsdk.CreateOpenIDConnectProviderInput{
		Url: aws.String("https://token.example.com/tenant/"), ClientIDList: []string{"app", "app", "cli"},
		ThumbprintList: []string{thumbA}, Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("blue")}}}))
	arn := arnOf("token.example.com/tenant")
	if *created.OpenIDConnectProviderArn != arn || len(created.Tags) != 1 {
		t.Fatalf("create: %+v", created)
	}
	// Thumbprints are optional.
	must(root.CreateOpenIDConnectProvider(ctx, &iamsdk.CreateOpenIDConnectProviderInput{Url: aws.String("https://accounts.example.org")}))

	errs := []struct {
		name       string
		in         *iamsdk.CreateOpenIDConnectProviderInput
		code, text string
	}{
		{"same URL", &iamsdk.CreateOpenIDConnectProviderInput{Url: aws.String("https://token.example.com/tenant")},
			"EntityAlreadyExists", "Provider with url https://token.example.com/tenant already exists."},
		{"http", &iamsdk.CreateOpenIDConnectProviderInput{Url: aws.String("http://insecure.example.com")}, "InvalidInput", ""},
		{"no host", &iamsdk.CreateOpenIDConnectProviderInput{Url: aws.String("https:///path")}, "InvalidInput", ""},
		{"query", &iamsdk.CreateOpenIDConnectProviderInput{Url: aws.String("https://a.example.com/?x=1")}, "InvalidInput", ""},
		{"thumbprint not hex", &iamsdk.CreateOpenIDConnectProviderInput{Url: aws.String("https://b.example.com"),
			ThumbprintList: []string{strings.Repeat("z", 40)}}, "InvalidInput", ""},
		{"six thumbprints", &iamsdk.CreateOpenIDConnectProviderInput{Url: aws.String("https://c.example.com"),
			ThumbprintList: []string{thumbA, thumbB, strings.Repeat("1", 40), strings.Repeat("2", 40), strings.Repeat("3", 40), strings.Repeat("4", 40)}},
			"InvalidInput", "Thumbprint list must contain fewer than 6 entries."},
	}
	for _, tc := range errs {
		_, err := root.CreateOpenIDConnectProvider(ctx, tc.in)
		wantCode(t, tc.name, err, tc.code, tc.text)
	}

	got := must(root.GetOpenIDConnectProvider(ctx, &iamsdk.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn)}))
	if *got.Url != "token.example.com/tenant" || strings.Join(got.ClientIDList, ",") != "app,cli" ||
		strings.Join(got.ThumbprintList, ",") != thumbA || got.CreateDate == nil || len(got.Tags) != 1 {
		t.Fatalf("get: %+v", got)
	}

	// Adding a client ID twice and removing one that is not there succeed.
	for _, id := range []string{"web", "web"} {
		must(root.AddClientIDToOpenIDConnectProvider(ctx, &iamsdk.AddClientIDToOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn), ClientID: aws.String(id)}))
	}
	for _, id := range []string{"cli", "never"} {
		must(root.RemoveClientIDFromOpenIDConnectProvider(ctx, &iamsdk.RemoveClientIDFromOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn), ClientID: aws.String(id)}))
	}
	must(root.UpdateOpenIDConnectProviderThumbprint(ctx, &iamsdk.UpdateOpenIDConnectProviderThumbprintInput{OpenIDConnectProviderArn: aws.String(arn),
		ThumbprintList: []string{thumbB, thumbA}}))
	got = must(root.GetOpenIDConnectProvider(ctx, &iamsdk.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn)}))
	if strings.Join(got.ClientIDList, ",") != "app,web" || strings.Join(got.ThumbprintList, ",") != thumbB+","+thumbA {
		t.Fatalf("after updates: %+v", got)
	}

	// The accessors STS uses.
	p, err := ts.IAM.OIDCProviderByURL(ctx, testserver.Account, "https://token.example.com/tenant")
	if err != nil || p.Arn != arn || p.URL != "https://token.example.com/tenant" || len(p.ClientIDList) != 2 {
		t.Fatalf("OIDCProviderByURL: %+v, %v", p, err)
	}
	if p, err := ts.IAM.OIDCProvider(ctx, testserver.Account, arnOf("accounts.example.org")); err != nil || p.URL != "https://accounts.example.org" {
		t.Fatalf("OIDCProvider: %+v, %v", p, err)
	}
	if _, err := ts.IAM.OIDCProviderByURL(ctx, "210987654321", "https://token.example.com/tenant"); err == nil {
		t.Fatal("a provider of another account was found")
	}

	list := must(root.ListOpenIDConnectProviders(ctx, &iamsdk.ListOpenIDConnectProvidersInput{}))
	if len(list.OpenIDConnectProviderList) != 2 || *list.OpenIDConnectProviderList[0].Arn != arnOf("accounts.example.org") {
		t.Fatalf("list: %+v", list.OpenIDConnectProviderList)
	}

	must(root.TagOpenIDConnectProvider(ctx, &iamsdk.TagOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn),
		Tags: []types.Tag{{Key: aws.String("TEAM"), Value: aws.String("green")}, {Key: aws.String("cost"), Value: aws.String("7")}}}))
	tags := must(root.ListOpenIDConnectProviderTags(ctx, &iamsdk.ListOpenIDConnectProviderTagsInput{OpenIDConnectProviderArn: aws.String(arn), MaxItems: aws.Int32(1)}))
	if len(tags.Tags) != 1 || !tags.IsTruncated || *tags.Tags[0].Key != "TEAM" {
		t.Fatalf("tags page 1: %+v", tags)
	}
	tags = must(root.ListOpenIDConnectProviderTags(ctx, &iamsdk.ListOpenIDConnectProviderTagsInput{OpenIDConnectProviderArn: aws.String(arn), Marker: tags.Marker}))
	if len(tags.Tags) != 1 || tags.IsTruncated || *tags.Tags[0].Key != "cost" {
		t.Fatalf("tags page 2: %+v", tags)
	}
	must(root.UntagOpenIDConnectProvider(ctx, &iamsdk.UntagOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn), TagKeys: []string{"cost"}}))

	// aws:ResourceTag/… comes from the provider's tags; List needs "*".
	reader := limitedClient(t, ts, "reader", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"iam:GetOpenIDConnectProvider","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":"green"}}},
		{"Effect":"Allow","Action":"iam:ListOpenIDConnectProviders","Resource":"arn:aws:iam::*:oidc-provider/*"}]}`)
	if _, err := reader.GetOpenIDConnectProvider(ctx, &iamsdk.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn)}); err != nil {
		t.Fatal(err)
	}
	_, err = reader.GetOpenIDConnectProvider(ctx, &iamsdk.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arnOf("accounts.example.org"))})
	wantCode(t, "untagged provider", err, "AccessDenied", "")
	_, err = reader.ListOpenIDConnectProviders(ctx, &iamsdk.ListOpenIDConnectProvidersInput{})
	wantCode(t, "list on a provider ARN", err, "AccessDenied", "")

	_, err = root.GetOpenIDConnectProvider(ctx, &iamsdk.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String("arn:aws:iam::" + testserver.Account + ":role/not-a-provider")})
	wantCode(t, "not a provider ARN", err, "InvalidInput", "")
	must(root.DeleteOpenIDConnectProvider(ctx, &iamsdk.DeleteOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn)}))
	_, err = root.GetOpenIDConnectProvider(ctx, &iamsdk.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn)})
	wantCode(t, "deleted", err, "NoSuchEntity", "OpenIDConnect Provider not found for arn "+arn)
	_, err = root.AddClientIDToOpenIDConnectProvider(ctx, &iamsdk.AddClientIDToOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn), ClientID: aws.String("x")})
	wantCode(t, "add to deleted", err, "NoSuchEntity", "")
	// Deleting a provider that does not exist succeeds, as on AWS.
	must(root.DeleteOpenIDConnectProvider(ctx, &iamsdk.DeleteOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn)}))
}

// samlMetadata renders IdP metadata with one signing certificate.
func samlMetadata(entityID string, cert *testCert, validUntil string) string {
	attr := ""
	if validUntil != "" {
		attr = ` validUntil="` + validUntil + `"`
	}
	return `<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="` + entityID + `"` + attr + `>
  <md:IDPSSODescriptor WantAuthnRequestsSigned="false" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing">
      <ds:KeyInfo><ds:X509Data><ds:X509Certificate>
` + base64.StdEncoding.EncodeToString(cert.cert.Raw) + `
      </ds:X509Certificate></ds:X509Data></ds:KeyInfo>
    </md:KeyDescriptor>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example.com/sso"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>`
}

func TestSAMLProviders(t *testing.T) {
	ts := testserver.Start(t)
	ctx := context.Background()
	root := ts.IAMClient()
	signer := issue(t, "idp signing", nil, false)
	encryption := issue(t, "assertion encryption", nil, false)
	doc := samlMetadata("https://idp.example.com/metadata", signer, "2030-01-02T03:04:05Z")
	arn := "arn:aws:iam::" + testserver.Account + ":saml-provider/Corp"

	created := must(root.CreateSAMLProvider(ctx, &iamsdk.CreateSAMLProviderInput{Name: aws.String("Corp"), SAMLMetadataDocument: aws.String(doc),
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("id")}}}))
	if *created.SAMLProviderArn != arn || len(created.Tags) != 1 {
		t.Fatalf("create: %+v", created)
	}
	errs := []struct {
		name string
		in   *iamsdk.CreateSAMLProviderInput
		code string
	}{
		{"same name", &iamsdk.CreateSAMLProviderInput{Name: aws.String("corp"), SAMLMetadataDocument: aws.String(doc)}, "EntityAlreadyExists"},
		{"not metadata", &iamsdk.CreateSAMLProviderInput{Name: aws.String("x"), SAMLMetadataDocument: aws.String("<a>" + strings.Repeat("b", 1000) + "</a>")}, "InvalidInput"},
		{"no signing certificate", &iamsdk.CreateSAMLProviderInput{Name: aws.String("x"),
			SAMLMetadataDocument: aws.String(strings.Replace(doc, base64.StdEncoding.EncodeToString(signer.cert.Raw), "", 1) + strings.Repeat(" ", 1000))}, "InvalidInput"},
		{"encryption required without a key", &iamsdk.CreateSAMLProviderInput{Name: aws.String("x"), SAMLMetadataDocument: aws.String(doc),
			AssertionEncryptionMode: types.AssertionEncryptionModeTypeRequired}, "InvalidInput"},
	}
	for _, tc := range errs {
		_, err := root.CreateSAMLProvider(ctx, tc.in)
		text := ""
		if tc.name == "not metadata" {
			text = "Could not parse metadata"
		}
		wantCode(t, tc.name, err, tc.code, text)
	}

	got := must(root.GetSAMLProvider(ctx, &iamsdk.GetSAMLProviderInput{SAMLProviderArn: aws.String(arn)}))
	if *got.SAMLMetadataDocument != doc || !got.ValidUntil.Equal(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)) ||
		len(*got.SAMLProviderUUID) < 22 || len(got.Tags) != 1 || len(got.PrivateKeyList) != 0 {
		t.Fatalf("get: %+v", got)
	}

	doc2 := samlMetadata("https://idp.example.com/v2", signer, "")
	must(root.UpdateSAMLProvider(ctx, &iamsdk.UpdateSAMLProviderInput{SAMLProviderArn: aws.String(arn), SAMLMetadataDocument: aws.String(doc2),
		AddPrivateKey: aws.String(encryption.keyPEM(t)), AssertionEncryptionMode: types.AssertionEncryptionModeTypeRequired}))
	got = must(root.GetSAMLProvider(ctx, &iamsdk.GetSAMLProviderInput{SAMLProviderArn: aws.String(arn)}))
	if *got.SAMLMetadataDocument != doc2 || got.ValidUntil != nil || len(got.PrivateKeyList) != 1 ||
		got.AssertionEncryptionMode != types.AssertionEncryptionModeTypeRequired {
		t.Fatalf("updated: %+v", got)
	}
	keyID := got.PrivateKeyList[0].KeyId
	_, err := root.UpdateSAMLProvider(ctx, &iamsdk.UpdateSAMLProviderInput{SAMLProviderArn: aws.String(arn), RemovePrivateKey: keyID})
	wantCode(t, "remove the last key while required", err, "InvalidInput", "")

	p, err := ts.IAM.SAMLProvider(ctx, testserver.Account, arn)
	if err != nil {
		t.Fatal(err)
	}
	if p.EntityID != "https://idp.example.com/v2" || len(p.SigningCertificates) != 1 || !p.SigningCertificates[0].Equal(signer.cert) ||
		len(p.DecryptionKeys) != 1 {
		t.Fatalf("SAMLProvider: %+v", p)
	}

	must(root.UpdateSAMLProvider(ctx, &iamsdk.UpdateSAMLProviderInput{SAMLProviderArn: aws.String(arn), RemovePrivateKey: keyID,
		AssertionEncryptionMode: types.AssertionEncryptionModeTypeAllowed}))
	must(root.CreateSAMLProvider(ctx, &iamsdk.CreateSAMLProviderInput{Name: aws.String("Another"), SAMLMetadataDocument: aws.String(doc)}))
	list := must(root.ListSAMLProviders(ctx, &iamsdk.ListSAMLProvidersInput{}))
	if len(list.SAMLProviderList) != 2 || *list.SAMLProviderList[1].Arn != arn || list.SAMLProviderList[0].ValidUntil == nil ||
		list.SAMLProviderList[1].CreateDate == nil {
		t.Fatalf("list: %+v", list.SAMLProviderList)
	}

	must(root.TagSAMLProvider(ctx, &iamsdk.TagSAMLProviderInput{SAMLProviderArn: aws.String(arn),
		Tags: []types.Tag{{Key: aws.String("a"), Value: aws.String("1")}}}))
	must(root.UntagSAMLProvider(ctx, &iamsdk.UntagSAMLProviderInput{SAMLProviderArn: aws.String(arn), TagKeys: []string{"team"}}))
	tags := must(root.ListSAMLProviderTags(ctx, &iamsdk.ListSAMLProviderTagsInput{SAMLProviderArn: aws.String(arn)}))
	if len(tags.Tags) != 1 || *tags.Tags[0].Key != "a" || tags.IsTruncated {
		t.Fatalf("tags: %+v", tags)
	}

	must(root.DeleteSAMLProvider(ctx, &iamsdk.DeleteSAMLProviderInput{SAMLProviderArn: aws.String(arn)}))
	for _, what := range []string{"get", "delete"} {
		var err error
		if what == "get" {
			_, err = root.GetSAMLProvider(ctx, &iamsdk.GetSAMLProviderInput{SAMLProviderArn: aws.String(arn)})
		} else {
			_, err = root.DeleteSAMLProvider(ctx, &iamsdk.DeleteSAMLProviderInput{SAMLProviderArn: aws.String(arn)})
		}
		wantCode(t, what+" deleted", err, "NoSuchEntity", "Manifest not found for arn "+arn)
	}
}
