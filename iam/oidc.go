package iam

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/gatehouse-iam/gatehouse/awserr"
	"github.com/gatehouse-iam/gatehouse/store"
)

// kindOIDC is an OpenID Connect provider; ID: lower-cased host and path of
// its URL (the ARN's resource name).
const kindOIDC = "iam.oidcprovider"

// OIDC provider limits (IAM quotas AWS does not let customers raise past
// these defaults here).
const (
	oidcProvidersPerAccount = 100
	clientIDsPerOIDC        = 100
	thumbprintsPerOIDC      = 5
)

// OIDCProvider is an OpenID Connect identity provider whose tokens
// AssumeRoleWithWebIdentity accepts.
type OIDCProvider struct {
	Arn            string
	URL            string // the issuer: "https://" + host and path
	ClientIDList   []string
	ThumbprintList []string
	CreateDate     time.Time
	Tags           []Tag `json:",omitempty"`
}

func init() {
	register(
		&Operation{Name: "CreateOpenIDConnectProvider", Resource: newOIDCResource, Handle: createOIDC},
		&Operation{Name: "GetOpenIDConnectProvider", Resource: oidcResource, Handle: getOIDC},
		&Operation{Name: "DeleteOpenIDConnectProvider", Resource: oidcResource, Handle: deleteOIDC},
		&Operation{Name: "ListOpenIDConnectProviders", Resource: anyResource, Handle: listOIDC},
		&Operation{Name: "AddClientIDToOpenIDConnectProvider", Resource: oidcResource, Handle: addOIDCClientID},
		&Operation{Name: "RemoveClientIDFromOpenIDConnectProvider", Resource: oidcResource, Handle: removeOIDCClientID},
		&Operation{Name: "UpdateOpenIDConnectProviderThumbprint", Resource: oidcResource, Handle: updateOIDCThumbprints},
		&Operation{Name: "TagOpenIDConnectProvider", Resource: tagResource(oidcResource), Handle: tagOIDC},
		&Operation{Name: "UntagOpenIDConnectProvider", Resource: untagResource(oidcResource), Handle: untagOIDC},
		&Operation{Name: "ListOpenIDConnectProviderTags", Resource: oidcResource, Handle: listOIDCTags},
	)
}

// oidcName checks a provider URL (https, a host, no query or fragment) and
// returns the name IAM keys it by: host and path without the scheme and a
// trailing slash.
func oidcName(raw string) (string, error) {
	bad := awserr.New("InvalidInput", "Invalid Open ID Connect Provider URL")
	u, err := url.Parse(raw)
	if err != nil || !strings.EqualFold(u.Scheme, "https") || u.Host == "" || u.User != nil ||
		u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(raw, "?") || strings.HasSuffix(raw, "#") {
		return "", bad
	}
	return strings.TrimSuffix(u.Host+u.EscapedPath(), "/"), nil
}

func oidcMissing(arn string) string { return "OpenIDConnect Provider not found for arn " + arn }

// oidcID returns the record ID of the provider an ARN names in the caller's
// account, or NoSuchEntity.
func oidcID(c *Call, providerARN string) (string, error) {
	account, name, err := entityARNName(providerARN, "oidc-provider")
	if err != nil {
		return "", err
	}
	if account != c.Account {
		return "", awserr.New("NoSuchEntity", oidcMissing(providerARN))
	}
	return lower(name), nil
}

// OIDCProvider returns the OpenID Connect provider with an ARN in an account
// (NoSuchEntity when there is none).
func (s *Service) OIDCProvider(ctx context.Context, account, providerARN string) (*OIDCProvider, error) {
	_, name, err := entityARNName(providerARN, "oidc-provider")
	if err != nil {
		return nil, err
	}
	return s.readOIDC(ctx, account, lower(name), oidcMissing(providerARN))
}

// OIDCProviderByURL returns an account's OpenID Connect provider for an
// issuer URL (a token's iss claim), or NoSuchEntity.
func (s *Service) OIDCProviderByURL(ctx context.Context, account, issuerURL string) (*OIDCProvider, error) {
	name, err := oidcName(issuerURL)
	if err != nil {
		return nil, err
	}
	return s.readOIDC(ctx, account, lower(name), "No OpenIDConnect provider found in your account for "+issuerURL)
}

func (s *Service) readOIDC(ctx context.Context, account, id, missing string) (*OIDCProvider, error) {
	var p *OIDCProvider
	err := s.store.View(ctx, func(tx store.Tx) error {
		var err error
		p, _, err = get[OIDCProvider](ctx, tx, kindOIDC, account, id, missing)
		return err
	})
	return p, err
}

func oidcResource(s *Service, c *Call) string {
	providerARN := c.Params.String("OpenIDConnectProviderArn")
	if p, err := s.OIDCProvider(c.Ctx, c.Account, providerARN); err == nil {
		resourceTagKeys(c, p.Tags)
	}
	return providerARN
}

func newOIDCResource(s *Service, c *Call) string {
	if tags, err := s.tagsParam(c.Params, "Tags"); err == nil {
		requestTagKeys(c, tags)
	}
	name, err := oidcName(c.Params.String("Url"))
	if err != nil {
		return s.arn(c.Account, "oidc-provider", "/", "*")
	}
	return s.arn(c.Account, "oidc-provider", "/", name)
}

// clientIDs checks a client ID list: duplicates dropped, at most the quota.
func clientIDs(ids []string) ([]string, error) {
	out := []string{}
	for _, id := range ids {
		if !hasExact(out, id) {
			out = append(out, id)
		}
	}
	if len(out) > clientIDsPerOIDC {
		return nil, awserr.New("LimitExceeded", fmt.Sprintf("Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: %d", clientIDsPerOIDC))
	}
	return out, nil
}

// thumbprints checks a thumbprint list: 40 hex digits each (the SHA-1 of a
// certificate), duplicates dropped, at most five.
func thumbprints(list []string) ([]string, error) {
	out := []string{}
	for _, t := range list {
		if _, err := hex.DecodeString(t); err != nil || len(t) != 40 {
			return nil, awserr.New("InvalidInput", "Thumbprint "+t+" is not a valid hex-encoded SHA-1 fingerprint.")
		}
		if !hasName(out, t) {
			out = append(out, t)
		}
	}
	if len(out) > thumbprintsPerOIDC {
		return nil, awserr.New("InvalidInput", fmt.Sprintf("Thumbprint list must contain fewer than %d entries.", thumbprintsPerOIDC+1))
	}
	return out, nil
}

func hasExact(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func createOIDC(s *Service, c *Call) (any, error) {
	rawURL := c.Params.String("Url")
	name, err := oidcName(rawURL)
	if err != nil {
		return nil, err
	}
	ids, err := clientIDs(c.Params.Strings("ClientIDList"))
	if err != nil {
		return nil, err
	}
	tps, err := thumbprints(c.Params.Strings("ThumbprintList"))
	if err != nil {
		return nil, err
	}
	tags, err := s.tagsParam(c.Params, "Tags")
	if err != nil {
		return nil, err
	}
	p := &OIDCProvider{Arn: s.arn(c.Account, "oidc-provider", "/", name), URL: "https://" + name,
		ClientIDList: ids, ThumbprintList: tps, CreateDate: c.Now, Tags: tags}
	err = s.update(c.Ctx, func(tx store.Tx) error {
		n, err := countKind(c, tx, kindOIDC)
		if err != nil {
			return err
		}
		if err := quota(n, oidcProvidersPerAccount, "OpenIdConnectProvidersPerAccount"); err != nil {
			return err
		}
		return exists(put(c.Ctx, tx, kindOIDC, c.Account, lower(name), "", p, true), "Provider with url "+rawURL+" already exists.")
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"OpenIDConnectProviderArn": p.Arn, "Tags": tagsOrNil(tags)}, nil
}

func getOIDC(s *Service, c *Call) (any, error) {
	providerARN := c.Params.String("OpenIDConnectProviderArn")
	id, err := oidcID(c, providerARN)
	if err != nil {
		return nil, err
	}
	p, err := s.readOIDC(c.Ctx, c.Account, id, oidcMissing(providerARN))
	if err != nil {
		return nil, err
	}
	return map[string]any{"Url": strings.TrimPrefix(p.URL, "https://"), "ClientIDList": p.ClientIDList,
		"ThumbprintList": p.ThumbprintList, "CreateDate": p.CreateDate, "Tags": tagsOrNil(p.Tags)}, nil
}

// deleteOIDC deletes a provider; as on AWS, deleting one that does not exist
// succeeds.
func deleteOIDC(s *Service, c *Call) (any, error) {
	id, err := oidcID(c, c.Params.String("OpenIDConnectProviderArn"))
	if e := awserr.As(err); e != nil && e.Code == "NoSuchEntity" {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return nil, s.update(c.Ctx, func(tx store.Tx) error {
		err := tx.Delete(c.Ctx, store.Key{Kind: kindOIDC, Account: c.Account, ID: id}, 0)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		return err
	})
}

func listOIDC(s *Service, c *Call) (any, error) {
	var ps []*OIDCProvider
	err := s.store.View(c.Ctx, func(tx store.Tx) error {
		var err error
		ps, err = list[OIDCProvider](c.Ctx, tx, store.ListOptions{Kind: kindOIDC, Account: c.Account})
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make([]map[string]any, 0, len(ps))
	for _, p := range ps {
		out = append(out, map[string]any{"Arn": p.Arn})
	}
	sort.Slice(out, func(i, j int) bool { return out[i]["Arn"].(string) < out[j]["Arn"].(string) })
	return map[string]any{"OpenIDConnectProviderList": out}, nil
}

// modifyOIDC reads, changes and writes the provider the request names.
func (s *Service) modifyOIDC(c *Call, fn func(p *OIDCProvider) error) error {
	providerARN := c.Params.String("OpenIDConnectProviderArn")
	id, err := oidcID(c, providerARN)
	if err != nil {
		return err
	}
	return modifyRecord(s, c, kindOIDC, id, oidcMissing(providerARN), func(_ store.Tx, p *OIDCProvider) error { return fn(p) })
}

// addOIDCClientID adds a client ID; adding one the provider has succeeds.
func addOIDCClientID(s *Service, c *Call) (any, error) {
	id := c.Params.String("ClientID")
	return nil, s.modifyOIDC(c, func(p *OIDCProvider) error {
		var err error
		p.ClientIDList, err = clientIDs(append(p.ClientIDList, id))
		return err
	})
}

// removeOIDCClientID removes a client ID; removing one the provider does not
// have succeeds.
func removeOIDCClientID(s *Service, c *Call) (any, error) {
	id := c.Params.String("ClientID")
	return nil, s.modifyOIDC(c, func(p *OIDCProvider) error {
		out := []string{}
		for _, x := range p.ClientIDList {
			if x != id {
				out = append(out, x)
			}
		}
		p.ClientIDList = out
		return nil
	})
}

func updateOIDCThumbprints(s *Service, c *Call) (any, error) {
	tps, err := thumbprints(c.Params.Strings("ThumbprintList"))
	if err != nil {
		return nil, err
	}
	return nil, s.modifyOIDC(c, func(p *OIDCProvider) error {
		p.ThumbprintList = tps
		return nil
	})
}

func tagOIDC(s *Service, c *Call) (any, error) {
	tags, err := s.tagsParam(c.Params, "Tags")
	if err != nil {
		return nil, err
	}
	return nil, s.modifyOIDC(c, func(p *OIDCProvider) error {
		p.Tags, err = s.mergeTags(p.Tags, tags)
		return err
	})
}

func untagOIDC(s *Service, c *Call) (any, error) {
	keys := c.Params.Strings("TagKeys")
	return nil, s.modifyOIDC(c, func(p *OIDCProvider) error {
		p.Tags = removeTags(p.Tags, keys)
		return nil
	})
}

func listOIDCTags(s *Service, c *Call) (any, error) {
	providerARN := c.Params.String("OpenIDConnectProviderArn")
	id, err := oidcID(c, providerARN)
	if err != nil {
		return nil, err
	}
	p, err := s.readOIDC(c.Ctx, c.Account, id, oidcMissing(providerARN))
	if err != nil {
		return nil, err
	}
	return tagsPage(c.Params, p.Tags)
}
