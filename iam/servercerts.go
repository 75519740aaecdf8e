package iam

import (
	"crypto"
	"crypto/x509"
	"fmt"
	"time"

	"github.com/gatehouse-iam/gatehouse/awserr"
	"github.com/gatehouse-iam/gatehouse/store"
)

// kindServerCert is a server certificate; ID: its lower-cased name.
const kindServerCert = "iam.servercertificate"

// serverCertsPerAccount is IAM's ServerCertificatesPerAccount quota.
const serverCertsPerAccount = 20

// ServerCertificate is a TLS certificate with its private key and chain, for
// load balancers and CloudFront. The private key is kept sealed and never
// returned.
type ServerCertificate struct {
	Path                  string
	ServerCertificateName string
	ServerCertificateId   string
	Arn                   string
	UploadDate            time.Time
	Expiration            time.Time
	CertificateBody       string
	CertificateChain      string `json:",omitempty"`
	PrivateKeySealed      []byte // sealed with the service's Sealer, bound to the certificate id
	Tags                  []Tag  `json:",omitempty"`
}

func init() {
	register(
		&Operation{Name: "UploadServerCertificate", Resource: newServerCertResource, Handle: uploadServerCert},
		&Operation{Name: "GetServerCertificate", Resource: serverCertResource, Handle: getServerCert},
		&Operation{Name: "ListServerCertificates", Resource: anyResource, Handle: listServerCerts},
		&Operation{Name: "UpdateServerCertificate", Resource: serverCertResource, Handle: updateServerCert},
		&Operation{Name: "DeleteServerCertificate", Resource: serverCertResource, Handle: deleteServerCert},
		&Operation{Name: "TagServerCertificate", Resource: tagResource(serverCertResource), Handle: tagServerCert},
		&Operation{Name: "UntagServerCertificate", Resource: untagResource(serverCertResource), Handle: untagServerCert},
		&Operation{Name: "ListServerCertificateTags", Resource: serverCertResource, Handle: listServerCertTags},
	)
}

func serverCertMissing(name string) string {
	return "The Server Certificate with name " + name + " cannot be found."
}

func serverCertExists(name string) string {
	return "The Server Certificate with name " + name + " already exists."
}

func serverCertResource(s *Service, c *Call) string {
	name := c.Params.String("ServerCertificateName")
	if sc, err := readRecord[ServerCertificate](s, c, kindServerCert, lower(name), ""); err == nil {
		resourceTagKeys(c, sc.Tags)
		return sc.Arn
	}
	return s.arn(c.Account, "server-certificate", "/", name)
}

func newServerCertResource(s *Service, c *Call) string {
	if tags, err := s.tagsParam(c.Params, "Tags"); err == nil {
		requestTagKeys(c, tags)
	}
	return s.arn(c.Account, "server-certificate", pathOrRoot(c.Params), c.Params.String("ServerCertificateName"))
}

// checkServerCertificate parses a certificate, its private key and chain as
// UploadServerCertificate does: the certificate must not have expired, the
// key must belong to it, and each certificate of the chain must have signed
// the one before it.
func checkServerCertificate(body, key, chain string, now time.Time) (*x509.Certificate, error) {
	cert, err := parsePEMCertificate(body)
	if err != nil {
		return nil, err
	}
	if err := checkNotExpired(cert, now); err != nil {
		return nil, err
	}
	priv, err := parsePrivateKey(key)
	if err != nil {
		return nil, err
	}
	pub, ok := priv.(interface{ Public() crypto.PublicKey })
	if !ok || !publicKeysEqual(pub.Public(), cert.PublicKey) {
		return nil, awserr.New("KeyPairMismatch", "The public key in the certificate does not match the private key.")
	}
	if chain == "" {
		return cert, nil
	}
	blocks, junk := pemBlocks(chain, "CERTIFICATE")
	if len(blocks) == 0 || junk {
		return nil, awserr.New("MalformedCertificate", "Unable to parse certificate chain. Please ensure the certificate chain is in PEM format.")
	}
	prev := cert
	for i, der := range blocks {
		next, err := x509.ParseCertificate(der)
		if err != nil || prev.CheckSignatureFrom(next) != nil {
			return nil, awserr.New("MalformedCertificate", fmt.Sprintf("Unable to validate certificate chain. The certificate chain must start with "+
				"the immediate signing certificate, followed by any intermediaries in order. The index within the chain of the invalid certificate is: %d", i))
		}
		prev = next
	}
	return cert, nil
}

// parsePrivateKey reads a PEM private key: PKCS #1 RSA, SEC 1 EC or PKCS #8.
func parsePrivateKey(text string) (crypto.PrivateKey, error) {
	bad := awserr.New("MalformedCertificate", "Unable to parse private key. Please ensure the private key is in PEM format.")
	for _, typ := range []string{"RSA PRIVATE KEY", "EC PRIVATE KEY", "PRIVATE KEY"} {
		blocks, _ := pemBlocks(text, typ)
		if len(blocks) != 1 {
			continue
		}
		var k crypto.PrivateKey
		var err error
		switch typ {
		case "RSA PRIVATE KEY":
			k, err = x509.ParsePKCS1PrivateKey(blocks[0])
		case "EC PRIVATE KEY":
			k, err = x509.ParseECPrivateKey(blocks[0])
		default:
			k, err = x509.ParsePKCS8PrivateKey(blocks[0])
		}
		if err != nil {
			return nil, bad
		}
		return k, nil
	}
	return nil, bad
}

// publicKeysEqual compares public keys of the crypto package's types.
func publicKeysEqual(a, b crypto.PublicKey) bool {
	eq, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && eq.Equal(b)
}

func serverCertMetadata(sc *ServerCertificate) map[string]any {
	return map[string]any{"Path": sc.Path, "ServerCertificateName": sc.ServerCertificateName,
		"ServerCertificateId": sc.ServerCertificateId, "Arn": sc.Arn, "UploadDate": sc.UploadDate, "Expiration": sc.Expiration}
}

func uploadServerCert(s *Service, c *Call) (any, error) {
	name := c.Params.String("ServerCertificateName")
	body, key, chain := c.Params.String("CertificateBody"), c.Params.String("PrivateKey"), c.Params.String("CertificateChain")
	cert, err := checkServerCertificate(body, key, chain, c.Now)
	if err != nil {
		return nil, err
	}
	tags, err := s.tagsParam(c.Params, "Tags")
	if err != nil {
		return nil, err
	}
	sc := &ServerCertificate{Path: pathOrRoot(c.Params), ServerCertificateName: name, ServerCertificateId: newID("ASCA"),
		UploadDate: c.Now, Expiration: cert.NotAfter, CertificateBody: body, CertificateChain: chain, Tags: tags}
	sc.Arn = s.arn(c.Account, "server-certificate", sc.Path, name)
	sc.PrivateKeySealed = s.sealer.Seal(key, sc.ServerCertificateId)
	err = s.update(c.Ctx, func(tx store.Tx) error {
		n, err := countKind(c, tx, kindServerCert)
		if err != nil {
			return err
		}
		if err := quota(n, serverCertsPerAccount, "ServerCertificatesPerAccount"); err != nil {
			return err
		}
		return exists(put(c.Ctx, tx, kindServerCert, c.Account, lower(name), "", sc, true), serverCertExists(name))
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"ServerCertificateMetadata": serverCertMetadata(sc), "Tags": tagsOrNil(tags)}, nil
}

func getServerCert(s *Service, c *Call) (any, error) {
	name := c.Params.String("ServerCertificateName")
	sc, err := readRecord[ServerCertificate](s, c, kindServerCert, lower(name), serverCertMissing(name))
	if err != nil {
		return nil, err
	}
	out := map[string]any{"ServerCertificateMetadata": serverCertMetadata(sc), "CertificateBody": sc.CertificateBody,
		"Tags": tagsOrNil(sc.Tags)}
	if sc.CertificateChain != "" {
		out["CertificateChain"] = sc.CertificateChain
	}
	return map[string]any{"ServerCertificate": out}, nil
}

func listServerCerts(s *Service, c *Call) (any, error) {
	var certs []*ServerCertificate
	err := s.store.View(c.Ctx, func(tx store.Tx) error {
		var err error
		certs, err = list[ServerCertificate](c.Ctx, tx, store.ListOptions{Kind: kindServerCert, Account: c.Account})
		return err
	})
	if err != nil {
		return nil, err
	}
	certs = pathPrefixFilter(c.Params, certs, func(sc *ServerCertificate) string { return sc.Path })
	pg, trunc, marker, err := page(c.Params, certs, func(sc *ServerCertificate) string { return lower(sc.ServerCertificateName) })
	if err != nil {
		return nil, err
	}
	out := make([]map[string]any, 0, len(pg))
	for _, sc := range pg {
		out = append(out, serverCertMetadata(sc))
	}
	return listResult("ServerCertificateMetadataList", out, trunc, marker), nil
}

// updateServerCert changes a certificate's path and/or name.
func updateServerCert(s *Service, c *Call) (any, error) {
	name := c.Params.String("ServerCertificateName")
	newName, newPath := c.Params.String("NewServerCertificateName"), c.Params.String("NewPath")
	return nil, s.update(c.Ctx, func(tx store.Tx) error {
		sc, _, err := get[ServerCertificate](c.Ctx, tx, kindServerCert, c.Account, lower(name), serverCertMissing(name))
		if err != nil {
			return err
		}
		if newPath != "" {
			sc.Path = newPath
		}
		if newName != "" {
			sc.ServerCertificateName = newName
		}
		sc.Arn = s.arn(c.Account, "server-certificate", sc.Path, sc.ServerCertificateName)
		if newName == "" || lower(newName) == lower(name) {
			return put(c.Ctx, tx, kindServerCert, c.Account, lower(name), "", sc, false)
		}
		if err := tx.Delete(c.Ctx, store.Key{Kind: kindServerCert, Account: c.Account, ID: lower(name)}, 0); err != nil {
			return err
		}
		return exists(put(c.Ctx, tx, kindServerCert, c.Account, lower(newName), "", sc, true), serverCertExists(newName))
	})
}

func deleteServerCert(s *Service, c *Call) (any, error) {
	name := c.Params.String("ServerCertificateName")
	return nil, s.update(c.Ctx, func(tx store.Tx) error {
		if _, _, err := get[ServerCertificate](c.Ctx, tx, kindServerCert, c.Account, lower(name), serverCertMissing(name)); err != nil {
			return err
		}
		return tx.Delete(c.Ctx, store.Key{Kind: kindServerCert, Account: c.Account, ID: lower(name)}, 0)
	})
}

func (s *Service) modifyServerCert(c *Call, fn func(sc *ServerCertificate) error) error {
	name := c.Params.String("ServerCertificateName")
	return modifyRecord(s, c, kindServerCert, lower(name), serverCertMissing(name), func(_ store.Tx, sc *ServerCertificate) error { return fn(sc) })
}

func tagServerCert(s *Service, c *Call) (any, error) {
	tags, err := s.tagsParam(c.Params, "Tags")
	if err != nil {
		return nil, err
	}
	return nil, s.modifyServerCert(c, func(sc *ServerCertificate) error {
		sc.Tags, err = s.mergeTags(sc.Tags, tags)
		return err
	})
}

func untagServerCert(s *Service, c *Call) (any, error) {
	keys := c.Params.Strings("TagKeys")
	return nil, s.modifyServerCert(c, func(sc *ServerCertificate) error {
		sc.Tags = removeTags(sc.Tags, keys)
		return nil
	})
}

func listServerCertTags(s *Service, c *Call) (any, error) {
	name := c.Params.String("ServerCertificateName")
	sc, err := readRecord[ServerCertificate](s, c, kindServerCert, lower(name), serverCertMissing(name))
	if err != nil {
		return nil, err
	}
	return tagsPage(c.Params, sc.Tags)
}
