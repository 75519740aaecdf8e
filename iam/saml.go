package iam

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/gatehouse-iam/gatehouse/awserr"
	"github.com/gatehouse-iam/gatehouse/store"
)

// kindSAML is a SAML 2.0 identity provider; ID: its lower-cased name.
const kindSAML = "iam.samlprovider"

// SAML provider limits: IAM's SAMLProvidersPerAccount quota and the private
// keys (for encrypted assertions) a provider may hold.
const (
	samlProvidersPerAccount = 100
	samlPrivateKeysMax      = 2
)

// SAMLProvider is a SAML 2.0 identity provider whose assertions
// AssumeRoleWithSAML accepts.
type SAMLProvider struct {
	Arn                     string
	Name                    string
	SAMLProviderUUID        string
	SAMLMetadataDocument    string
	CreateDate              time.Time
	ValidUntil              *time.Time       `json:",omitempty"`
	AssertionEncryptionMode string           `json:",omitempty"` // Required or Allowed
	PrivateKeys             []SAMLPrivateKey `json:",omitempty"`
	Tags                    []Tag            `json:",omitempty"`

	// Read from the metadata and the sealed keys by Service.SAMLProvider;
	// not stored.
	EntityID            string              `json:"-"` // the IdP's entityID: assertions' Issuer
	SigningCertificates []*x509.Certificate `json:"-"` // the IdP's signing certificates
	DecryptionKeys      []crypto.PrivateKey `json:"-"` // keys that decrypt encrypted assertions
}

// SAMLPrivateKey is a private key that decrypts a provider's encrypted
// assertions, sealed with the service's Sealer (bound to its KeyId).
type SAMLPrivateKey struct {
	KeyId     string
	Timestamp time.Time
	Sealed    []byte
}

func init() {
	register(
		&Operation{Name: "CreateSAMLProvider", Resource: newSAMLResource, Handle: createSAML},
		&Operation{Name: "GetSAMLProvider", Resource: samlResource, Handle: getSAML},
		&Operation{Name: "UpdateSAMLProvider", Resource: samlResource, Handle: updateSAML},
		&Operation{Name: "DeleteSAMLProvider", Resource: samlResource, Handle: deleteSAML},
		&Operation{Name: "ListSAMLProviders", Resource: anyResource, Handle: listSAML},
		&Operation{Name: "TagSAMLProvider", Resource: tagResource(samlResource), Handle: tagSAML},
		&Operation{Name: "UntagSAMLProvider", Resource: untagResource(samlResource), Handle: untagSAML},
		&Operation{Name: "ListSAMLProviderTags", Resource: samlResource, Handle: listSAMLTags},
	)
}

func samlMissing(arn string) string { return "Manifest not found for arn " + arn }

// samlMetadata is the part of SAML 2.0 metadata IAM reads: an
// EntityDescriptor with an IDPSSODescriptor and its signing keys.
type samlMetadata struct {
	XMLName    xml.Name `xml:"EntityDescriptor"`
	EntityID   string   `xml:"entityID,attr"`
	ValidUntil string   `xml:"validUntil,attr"`
	IDP        []struct {
		Keys []struct {
			Use   string   `xml:"use,attr"`
			Certs []string `xml:"KeyInfo>X509Data>X509Certificate"`
		} `xml:"KeyDescriptor"`
	} `xml:"IDPSSODescriptor"`
}

// parsedMetadata is what a metadata document says about an IdP.
type parsedMetadata struct {
	entityID   string
	validUntil *time.Time
	signing    []*x509.Certificate
}

// parseSAMLMetadata reads an IdP's metadata: its entity id, the certificates
// of its signing (or unqualified) keys, and validUntil.
func parseSAMLMetadata(doc string) (*parsedMetadata, error) {
	bad := awserr.New("InvalidInput", "Could not parse metadata")
	var md samlMetadata
	if err := xml.Unmarshal([]byte(doc), &md); err != nil || md.EntityID == "" || len(md.IDP) == 0 {
		return nil, bad
	}
	out := &parsedMetadata{entityID: md.EntityID}
	if md.ValidUntil != "" {
		t, err := time.Parse(time.RFC3339, md.ValidUntil)
		if err != nil {
			return nil, bad
		}
		t = t.UTC()
		out.validUntil = &t
	}
	for _, idp := range md.IDP {
		for _, k := range idp.Keys {
			if k.Use != "" && k.Use != "signing" {
				continue
			}
			for _, text := range k.Certs {
				der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(text), ""))
				if err != nil {
					return nil, bad
				}
				cert, err := x509.ParseCertificate(der)
				if err != nil {
					return nil, bad
				}
				out.signing = append(out.signing, cert)
			}
		}
	}
	if len(out.signing) == 0 {
		return nil, bad
	}
	return out, nil
}

// SAMLProvider returns the SAML provider with an ARN in an account, with its
// entity id and signing certificates read from its metadata and its
// decryption keys opened (NoSuchEntity when there is none).
func (s *Service) SAMLProvider(ctx context.Context, account, providerARN string) (*SAMLProvider, error) {
	_, name, err := entityARNName(providerARN, "saml-provider")
	if err != nil {
		return nil, err
	}
	var p *SAMLProvider
	err = s.store.View(ctx, func(tx store.Tx) error {
		p, _, err = get[SAMLProvider](ctx, tx, kindSAML, account, lower(name), samlMissing(providerARN))
		return err
	})
	if err != nil {
		return nil, err
	}
	md, err := parseSAMLMetadata(p.SAMLMetadataDocument)
	if err != nil {
		return nil, err
	}
	p.EntityID, p.SigningCertificates = md.entityID, md.signing
	for _, k := range p.PrivateKeys {
		pemText, err := s.sealer.Open(k.Sealed, k.KeyId)
		if err != nil {
			return nil, err
		}
		key, err := parsePrivateKey(pemText)
		if err != nil {
			return nil, err
		}
		p.DecryptionKeys = append(p.DecryptionKeys, key)
	}
	return p, nil
}

// samlID returns the record ID of the provider an ARN names in the caller's
// account, or NoSuchEntity.
func samlID(c *Call, providerARN string) (string, error) {
	account, name, err := entityARNName(providerARN, "saml-provider")
	if err != nil {
		return "", err
	}
	if account != c.Account {
		return "", awserr.New("NoSuchEntity", samlMissing(providerARN))
	}
	return lower(name), nil
}

func samlResource(s *Service, c *Call) string {
	providerARN := c.Params.String("SAMLProviderArn")
	if id, err := samlID(c, providerARN); err == nil {
		if p, err := readRecord[SAMLProvider](s, c, kindSAML, id, ""); err == nil {
			resourceTagKeys(c, p.Tags)
		}
	}
	return providerARN
}

func newSAMLResource(s *Service, c *Call) string {
	if tags, err := s.tagsParam(c.Params, "Tags"); err == nil {
		requestTagKeys(c, tags)
	}
	return s.arn(c.Account, "saml-provider", "/", c.Params.String("Name"))
}

// setSAMLKeys applies the AddPrivateKey, RemovePrivateKey and
// AssertionEncryptionMode parameters to a provider.
func (s *Service) setSAMLKeys(c *Call, p *SAMLProvider) error {
	if id := c.Params.String("RemovePrivateKey"); id != "" {
		kept := p.PrivateKeys[:0]
		for _, k := range p.PrivateKeys {
			if k.KeyId != id {
				kept = append(kept, k)
			}
		}
		if len(kept) == len(p.PrivateKeys) {
			return awserr.New("InvalidInput", "The private key with id "+id+" does not exist.")
		}
		p.PrivateKeys = kept
	}
	if text := c.Params.String("AddPrivateKey"); text != "" {
		if _, err := parsePrivateKey(text); err != nil {
			return awserr.New("InvalidInput", "The private key is not a valid PEM private key.")
		}
		if len(p.PrivateKeys) >= samlPrivateKeysMax {
			return awserr.New("LimitExceeded", fmt.Sprintf("Cannot exceed quota for PrivateKeysPerSAMLProvider: %d", samlPrivateKeysMax))
		}
		k := SAMLPrivateKey{KeyId: randomString(26, idAlphabet), Timestamp: c.Now}
		k.Sealed = s.sealer.Seal(text, k.KeyId)
		p.PrivateKeys = append(p.PrivateKeys, k)
	}
	if m := c.Params.String("AssertionEncryptionMode"); m != "" {
		p.AssertionEncryptionMode = m
	}
	if p.AssertionEncryptionMode == "Required" && len(p.PrivateKeys) == 0 {
		return awserr.New("InvalidInput", "AssertionEncryptionMode Required needs a private key to decrypt assertions.")
	}
	return nil
}

func createSAML(s *Service, c *Call) (any, error) {
	name, doc := c.Params.String("Name"), c.Params.String("SAMLMetadataDocument")
	md, err := parseSAMLMetadata(doc)
	if err != nil {
		return nil, err
	}
	tags, err := s.tagsParam(c.Params, "Tags")
	if err != nil {
		return nil, err
	}
	p := &SAMLProvider{Arn: s.arn(c.Account, "saml-provider", "/", name), Name: name,
		SAMLProviderUUID: randomString(26, idAlphabet), SAMLMetadataDocument: doc, CreateDate: c.Now,
		ValidUntil: md.validUntil, Tags: tags}
	if err := s.setSAMLKeys(c, p); err != nil {
		return nil, err
	}
	err = s.update(c.Ctx, func(tx store.Tx) error {
		n, err := countKind(c, tx, kindSAML)
		if err != nil {
			return err
		}
		if err := quota(n, samlProvidersPerAccount, "SAMLProvidersPerAccount"); err != nil {
			return err
		}
		return exists(put(c.Ctx, tx, kindSAML, c.Account, lower(name), "", p, true), "SAMLProvider "+name+" already exists.")
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"SAMLProviderArn": p.Arn, "Tags": tagsOrNil(tags)}, nil
}

func getSAML(s *Service, c *Call) (any, error) {
	providerARN := c.Params.String("SAMLProviderArn")
	id, err := samlID(c, providerARN)
	if err != nil {
		return nil, err
	}
	p, err := readRecord[SAMLProvider](s, c, kindSAML, id, samlMissing(providerARN))
	if err != nil {
		return nil, err
	}
	out := map[string]any{"SAMLProviderUUID": p.SAMLProviderUUID, "SAMLMetadataDocument": p.SAMLMetadataDocument,
		"CreateDate": p.CreateDate, "ValidUntil": p.ValidUntil, "Tags": tagsOrNil(p.Tags)}
	if p.AssertionEncryptionMode != "" {
		out["AssertionEncryptionMode"] = p.AssertionEncryptionMode
	}
	if len(p.PrivateKeys) > 0 {
		keys := make([]map[string]any, 0, len(p.PrivateKeys))
		for _, k := range p.PrivateKeys {
			keys = append(keys, map[string]any{"KeyId": k.KeyId, "Timestamp": k.Timestamp})
		}
		out["PrivateKeyList"] = keys
	}
	return out, nil
}

// updateSAML replaces the metadata and/or changes the decryption settings.
func updateSAML(s *Service, c *Call) (any, error) {
	providerARN := c.Params.String("SAMLProviderArn")
	id, err := samlID(c, providerARN)
	if err != nil {
		return nil, err
	}
	doc := c.Params.String("SAMLMetadataDocument")
	var md *parsedMetadata
	if doc != "" {
		if md, err = parseSAMLMetadata(doc); err != nil {
			return nil, err
		}
	}
	err = modifyRecord(s, c, kindSAML, id, samlMissing(providerARN), func(_ store.Tx, p *SAMLProvider) error {
		if md != nil {
			p.SAMLMetadataDocument, p.ValidUntil = doc, md.validUntil
		}
		return s.setSAMLKeys(c, p)
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"SAMLProviderArn": providerARN}, nil
}

func deleteSAML(s *Service, c *Call) (any, error) {
	providerARN := c.Params.String("SAMLProviderArn")
	id, err := samlID(c, providerARN)
	if err != nil {
		return nil, err
	}
	return nil, s.update(c.Ctx, func(tx store.Tx) error {
		err := tx.Delete(c.Ctx, store.Key{Kind: kindSAML, Account: c.Account, ID: id}, 0)
		if errors.Is(err, store.ErrNotFound) {
			return awserr.New("NoSuchEntity", samlMissing(providerARN))
		}
		return err
	})
}

func listSAML(s *Service, c *Call) (any, error) {
	var ps []*SAMLProvider
	err := s.store.View(c.Ctx, func(tx store.Tx) error {
		var err error
		ps, err = list[SAMLProvider](c.Ctx, tx, store.ListOptions{Kind: kindSAML, Account: c.Account})
		return err
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].Arn < ps[j].Arn })
	out := make([]map[string]any, 0, len(ps))
	for _, p := range ps {
		out = append(out, map[string]any{"Arn": p.Arn, "ValidUntil": p.ValidUntil, "CreateDate": p.CreateDate})
	}
	return map[string]any{"SAMLProviderList": out}, nil
}

// modifySAML reads, changes and writes the provider the request names.
func (s *Service) modifySAML(c *Call, fn func(p *SAMLProvider) error) error {
	providerARN := c.Params.String("SAMLProviderArn")
	id, err := samlID(c, providerARN)
	if err != nil {
		return err
	}
	return modifyRecord(s, c, kindSAML, id, samlMissing(providerARN), func(_ store.Tx, p *SAMLProvider) error { return fn(p) })
}

func tagSAML(s *Service, c *Call) (any, error) {
	tags, err := s.tagsParam(c.Params, "Tags")
	if err != nil {
		return nil, err
	}
	return nil, s.modifySAML(c, func(p *SAMLProvider) error {
		p.Tags, err = s.mergeTags(p.Tags, tags)
		return err
	})
}

func untagSAML(s *Service, c *Call) (any, error) {
	keys := c.Params.Strings("TagKeys")
	return nil, s.modifySAML(c, func(p *SAMLProvider) error {
		p.Tags = removeTags(p.Tags, keys)
		return nil
	})
}

func listSAMLTags(s *Service, c *Call) (any, error) {
	providerARN := c.Params.String("SAMLProviderArn")
	id, err := samlID(c, providerARN)
	if err != nil {
		return nil, err
	}
	p, err := readRecord[SAMLProvider](s, c, kindSAML, id, samlMissing(providerARN))
	if err != nil {
		return nil, err
	}
	return tagsPage(c.Params, p.Tags)
}
