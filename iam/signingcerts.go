package iam

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/gatehouse-iam/gatehouse/awserr"
	"github.com/gatehouse-iam/gatehouse/store"
)

// kindSigningCert is an X.509 signing certificate of a user or of the account
// root; ID: the certificate id; Parent: the owner's UserId ("" for root).
const kindSigningCert = "iam.signingcert"

// signingCertsPerUser is IAM's SigningCertificatesPerUser quota.
const signingCertsPerUser = 2

// SigningCertificate is an X.509 certificate a user signs SOAP requests with.
type SigningCertificate struct {
	CertificateId   string
	CertificateBody string
	SHA1            string // hex SHA-1 of the DER certificate: duplicates are refused
	Status          string // Active or Inactive
	UploadDate      time.Time
}

func init() {
	register(
		&Operation{Name: "UploadSigningCertificate", Resource: selfOrUserResource, Handle: uploadSigningCert},
		&Operation{Name: "ListSigningCertificates", Resource: selfOrUserResource, Handle: listSigningCerts},
		&Operation{Name: "UpdateSigningCertificate", Resource: selfOrUserResource, Handle: updateSigningCert},
		&Operation{Name: "DeleteSigningCertificate", Resource: selfOrUserResource, Handle: deleteSigningCert},
	)
}

func signingCertMissing(id string) string {
	return "The Certificate with id " + id + " cannot be found."
}

// signingCertOutput is the SigningCertificate structure IAM returns.
func signingCertOutput(o credOwner, sc *SigningCertificate) map[string]any {
	out := map[string]any{"CertificateId": sc.CertificateId, "CertificateBody": sc.CertificateBody,
		"Status": sc.Status, "UploadDate": sc.UploadDate}
	if o.Name != "" {
		out["UserName"] = o.Name
	}
	return out
}

func uploadSigningCert(s *Service, c *Call) (any, error) {
	name, err := keyOwner(c)
	if err != nil {
		return nil, err
	}
	body := c.Params.String("CertificateBody")
	cert, err := parsePEMCertificate(body)
	if err != nil {
		return nil, err
	}
	if err := checkNotExpired(cert, c.Now); err != nil {
		return nil, err
	}
	sum := sha1.Sum(cert.Raw)
	sc := &SigningCertificate{CertificateId: randomString(32, idAlphabet), CertificateBody: body,
		SHA1: hex.EncodeToString(sum[:]), Status: "Active", UploadDate: c.Now}
	var out map[string]any
	err = s.update(c.Ctx, func(tx store.Tx) error {
		o, err := readCredOwner(c, tx, name)
		if err != nil {
			return err
		}
		all, err := list[SigningCertificate](c.Ctx, tx, store.ListOptions{Kind: kindSigningCert, Account: c.Account})
		if err != nil {
			return err
		}
		for _, other := range all {
			if other.SHA1 == sc.SHA1 {
				return awserr.New("DuplicateCertificate", "The same certificate is already associated with an IAM user in the account.")
			}
		}
		owned, err := ownedBy[SigningCertificate](c, tx, kindSigningCert, o)
		if err != nil {
			return err
		}
		if len(owned) >= signingCertsPerUser {
			return awserr.New("LimitExceeded", fmt.Sprintf("Cannot exceed quota for SigningCertificatesPerUser: %d", signingCertsPerUser))
		}
		out = signingCertOutput(o, sc)
		return put(c.Ctx, tx, kindSigningCert, c.Account, sc.CertificateId, o.Parent, sc, true)
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"Certificate": out}, nil
}

func listSigningCerts(s *Service, c *Call) (any, error) {
	name, err := keyOwner(c)
	if err != nil {
		return nil, err
	}
	out := []map[string]any{}
	err = s.store.View(c.Ctx, func(tx store.Tx) error {
		o, err := readCredOwner(c, tx, name)
		if err != nil {
			return err
		}
		certs, err := ownedBy[SigningCertificate](c, tx, kindSigningCert, o)
		for _, sc := range certs {
			out = append(out, signingCertOutput(o, sc))
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	pg, trunc, marker, err := page(c.Params, out, func(m map[string]any) string { return m["CertificateId"].(string) })
	if err != nil {
		return nil, err
	}
	return listResult("Certificates", pg, trunc, marker), nil
}

// modifySigningCert reads a signing certificate of the request's owner and
// lets fn change it (written back) or delete it.
func (s *Service) modifySigningCert(c *Call, fn func(sc *SigningCertificate) (del bool)) error {
	name, err := keyOwner(c)
	if err != nil {
		return err
	}
	id := c.Params.String("CertificateId")
	return modifyOwned(s, c, kindSigningCert, name, id, signingCertMissing(id), func(_ credOwner, sc *SigningCertificate) bool { return fn(sc) })
}

func updateSigningCert(s *Service, c *Call) (any, error) {
	status, err := settableStatus(c)
	if err != nil {
		return nil, err
	}
	return nil, s.modifySigningCert(c, func(sc *SigningCertificate) bool {
		sc.Status = status
		return false
	})
}

func deleteSigningCert(s *Service, c *Call) (any, error) {
	return nil, s.modifySigningCert(c, func(*SigningCertificate) bool { return true })
}

// settableStatus reads the Status parameter of the Update… operations of
// user credentials: Active or Inactive ("Expired" is only ever reported).
func settableStatus(c *Call) (string, error) {
	status := c.Params.String("Status")
	if status != "Active" && status != "Inactive" {
		return "", awserr.New("ValidationError", "Value '"+status+"' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive]")
	}
	return status, nil
}
