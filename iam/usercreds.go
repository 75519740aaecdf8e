package iam

import (
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gatehouse-iam/gatehouse/arn"
	"github.com/gatehouse-iam/gatehouse/awserr"
	"github.com/gatehouse-iam/gatehouse/protocol"
	"github.com/gatehouse-iam/gatehouse/store"
)

// Helpers shared by the credentials users own (signing certificates, SSH
// public keys, service-specific credentials) and by the entities named by an
// ARN or a name that carry tags (identity providers, server certificates).
//
// A user's credentials are records of the user's account whose Parent is the
// user's unique id (UserId), so that they follow the user through renames;
// the account root's signing certificates have no parent. Outputs name the
// user as it is called now, read in the same transaction.

// rootParent is the Parent of the credentials of the account root.
const rootParent = ""

// credOwner is the user a per-user credential operation acts on.
type credOwner struct {
	Name   string // "" for the account root
	Parent string // the records' Parent: the user's UserId, rootParent for root
}

// readCredOwner resolves name (as keyOwner does: "" is the account root) to
// the owner of its credentials in tx: NoSuchEntity when the user is missing.
func readCredOwner(c *Call, tx store.Tx, name string) (credOwner, error) {
	if name == "" {
		return credOwner{Parent: rootParent}, nil
	}
	u, _, err := get[User](c.Ctx, tx, kindUser, c.Account, lower(name), "The user with name "+name+" cannot be found.")
	if err != nil {
		return credOwner{}, err
	}
	return credOwner{Name: u.UserName, Parent: u.UserId}, nil
}

// ownedBy lists the records of kind that an owner has, decoded.
func ownedBy[T any](c *Call, tx store.Tx, kind string, o credOwner) ([]*T, error) {
	parent := o.Parent
	return list[T](c.Ctx, tx, store.ListOptions{Kind: kind, Account: c.Account, Parent: &parent})
}

// readOwned reads one credential of kind by id and checks that it belongs to
// the owner; a missing or foreign credential is NoSuchEntity with missing.
func readOwned[T any](c *Call, tx store.Tx, kind, id string, o credOwner, missing string) (*T, error) {
	rec, err := tx.Get(c.Ctx, store.Key{Kind: kind, Account: c.Account, ID: id})
	if errors.Is(err, store.ErrNotFound) || (err == nil && rec.Parent != o.Parent) {
		return nil, awserr.New("NoSuchEntity", missing)
	}
	if err != nil {
		return nil, err
	}
	v := new(T)
	if err := json.Unmarshal(rec.Data, v); err != nil {
		return nil, err
	}
	return v, nil
}

// modifyOwned reads credential id of kind belonging to the named user (the
// root user when name is empty) and lets fn change it (written back) or
// delete it, in one transaction.
func modifyOwned[T any](s *Service, c *Call, kind, name, id, missing string, fn func(o credOwner, v *T) (del bool)) error {
	return s.update(c.Ctx, func(tx store.Tx) error {
		o, err := readCredOwner(c, tx, name)
		if err != nil {
			return err
		}
		v, err := readOwned[T](c, tx, kind, id, o, missing)
		if err != nil {
			return err
		}
		if fn(o, v) {
			return tx.Delete(c.Ctx, store.Key{Kind: kind, Account: c.Account, ID: id}, 0)
		}
		return put(c.Ctx, tx, kind, c.Account, id, o.Parent, v, false)
	})
}

// userCredentialsConflict reports the DeleteConflict DeleteUser must return
// while a user still has signing certificates, SSH public keys or
// service-specific credentials (nil when it has none). It reads in tx, the
// transaction DeleteUser deletes the user in.
func (s *Service) userCredentialsConflict(c *Call, tx store.Tx, u *User) error {
	checks := []struct{ kind, msg string }{
		{kindSigningCert, "Cannot delete entity, must delete signing certificates first."},
		{kindSSHKey, "Cannot delete entity, must delete SSH public keys first."},
		{kindServiceCred, "Cannot delete entity, must delete service specific credentials first."},
	}
	parent := u.UserId
	for _, ch := range checks {
		n, err := tx.Count(c.Ctx, store.ListOptions{Kind: ch.kind, Account: c.Account, Parent: &parent})
		if err != nil {
			return err
		}
		if n > 0 {
			return awserr.New("DeleteConflict", ch.msg)
		}
	}
	return nil
}

// modifyRecord reads the record kind/id of the caller's account, lets fn
// change it and writes it back, in one transaction; a missing record is
// NoSuchEntity with missing.
func modifyRecord[T any](s *Service, c *Call, kind, id, missing string, fn func(tx store.Tx, v *T) error) error {
	return s.update(c.Ctx, func(tx store.Tx) error {
		rec, err := tx.Get(c.Ctx, store.Key{Kind: kind, Account: c.Account, ID: id})
		if errors.Is(err, store.ErrNotFound) {
			return awserr.New("NoSuchEntity", missing)
		}
		if err != nil {
			return err
		}
		v := new(T)
		if err := json.Unmarshal(rec.Data, v); err != nil {
			return err
		}
		if err := fn(tx, v); err != nil {
			return err
		}
		return put(c.Ctx, tx, kind, c.Account, id, rec.Parent, v, false)
	})
}

// readRecord reads the record kind/id of the caller's account.
func readRecord[T any](s *Service, c *Call, kind, id, missing string) (*T, error) {
	var v *T
	err := s.store.View(c.Ctx, func(tx store.Tx) error {
		var err error
		v, _, err = get[T](c.Ctx, tx, kind, c.Account, id, missing)
		return err
	})
	return v, err
}

// tagsPage is the output of the List…Tags operations: one page of tags.
func tagsPage(p protocol.Params, tags []Tag) (any, error) {
	pg, trunc, marker, err := page(p, append([]Tag{}, tags...), func(t Tag) string { return t.Key })
	if err != nil {
		return nil, err
	}
	return listResult("Tags", pg, trunc, marker), nil
}

// tagsOrNil returns tags, or nil (member left out) when there are none.
func tagsOrNil(tags []Tag) []Tag {
	if len(tags) == 0 {
		return nil
	}
	return tags
}

// anyResource is the resource of actions that take no resource type in the
// Service Authorization Reference (ListOpenIDConnectProviders, …): a policy
// must grant them on "*".
func anyResource(*Service, *Call) string { return "*" }

// entityARNName checks that s is a well-formed ARN of a typ entity
// ("oidc-provider", "saml-provider") and returns its account and the name
// after "typ/". A malformed ARN is InvalidInput.
func entityARNName(s, typ string) (account, name string, err error) {
	a, perr := arn.Parse(s)
	name, ok := strings.CutPrefix(a.Resource, typ+"/")
	if perr != nil || a.Service != "iam" || !ok || name == "" {
		return "", "", awserr.New("InvalidInput", fmt.Sprintf("ARN %s is not valid.", s))
	}
	return a.Account, name, nil
}

// pemBlocks decodes every PEM block of type typ in text, in order, and
// reports whether anything but those blocks and white space was found.
func pemBlocks(text, typ string) (blocks [][]byte, junk bool) {
	rest := []byte(text)
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type != typ {
			junk = true
			continue
		}
		blocks = append(blocks, b.Bytes)
	}
	return blocks, strings.TrimSpace(string(rest)) != ""
}

// parsePEMCertificate parses a single PEM certificate (a signing or server
// certificate body) with AWS's MalformedCertificate error.
func parsePEMCertificate(body string) (*x509.Certificate, error) {
	blocks, junk := pemBlocks(body, "CERTIFICATE")
	if len(blocks) != 1 || junk {
		return nil, malformedCertificate()
	}
	cert, err := x509.ParseCertificate(blocks[0])
	if err != nil {
		return nil, malformedCertificate()
	}
	return cert, nil
}

// checkNotExpired refuses a certificate past its NotAfter date with AWS's
// MalformedCertificate.
func checkNotExpired(cert *x509.Certificate, now time.Time) error {
	if now.After(cert.NotAfter) {
		return awserr.New("MalformedCertificate", "Certificate is no longer valid. The 'Not After' date restriction on the certificate has passed.")
	}
	return nil
}

func malformedCertificate() error {
	return awserr.New("MalformedCertificate", "Unable to parse certificate. Please ensure the certificate is in PEM format.")
}
