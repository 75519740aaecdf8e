package sts

import (
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rsa"
	_ "crypto/sha1" // OAEP digests named by XML Encryption
	_ "crypto/sha256"
	_ "crypto/sha512"
	"encoding/base64"
	"errors"
	"strings"

	"github.com/beevik/etree"
	"github.com/russellhaering/goxmldsig/etreeutils"
)

// XML Encryption (W3C xmlenc-core1) identifiers of the algorithms
// Gatehouse decrypts SAML EncryptedAssertions with: AES-CBC and AES-GCM
// content encryption, RSA-OAEP key transport. RSA PKCS#1 v1.5 key transport
// is refused (it is open to padding-oracle attacks).
const (
	nsXMLEnc   = "http://www.w3.org/2001/04/xmlenc#"
	nsXMLEnc11 = "http://www.w3.org/2009/xmlenc11#"
	nsXMLDSig  = "http://www.w3.org/2000/09/xmldsig#"
)

// xmlEncryptedAssertion is a SAML EncryptedAssertion: an EncryptedData whose
// key is in an EncryptedKey, inside its KeyInfo or beside it.
type (
	xmlEncryptedAssertion struct {
		Data struct {
			Method  xmlEncMethod `xml:"http://www.w3.org/2001/04/xmlenc# EncryptionMethod"`
			KeyInfo struct {
				Keys []xmlEncryptedKey `xml:"http://www.w3.org/2001/04/xmlenc# EncryptedKey"`
			} `xml:"http://www.w3.org/2000/09/xmldsig# KeyInfo"`
			Cipher xmlCipherData `xml:"http://www.w3.org/2001/04/xmlenc# CipherData"`
		} `xml:"http://www.w3.org/2001/04/xmlenc# EncryptedData"`
		Keys []xmlEncryptedKey `xml:"http://www.w3.org/2001/04/xmlenc# EncryptedKey"`
	}
	xmlEncryptedKey struct {
		Method xmlEncMethod  `xml:"http://www.w3.org/2001/04/xmlenc# EncryptionMethod"`
		Cipher xmlCipherData `xml:"http://www.w3.org/2001/04/xmlenc# CipherData"`
	}
	xmlEncMethod struct {
		Algorithm string `xml:"Algorithm,attr"`
		Digest    struct {
			Algorithm string `xml:"Algorithm,attr"`
		} `xml:"http://www.w3.org/2000/09/xmldsig# DigestMethod"`
		MGF struct {
			Algorithm string `xml:"Algorithm,attr"`
		} `xml:"http://www.w3.org/2009/xmlenc11# MGF"`
	}
	xmlCipherData struct {
		Value string `xml:"http://www.w3.org/2001/04/xmlenc# CipherValue"`
	}
)

// oaepDigests are the DigestMethod and MGF identifiers of RSA-OAEP.
var oaepDigests = map[string]crypto.Hash{
	"":                  crypto.SHA1, // the default
	nsXMLDSig + "sha1":  crypto.SHA1,
	nsXMLEnc + "sha256": crypto.SHA256,
	"http://www.w3.org/2001/04/xmldsig-more#sha384": crypto.SHA384,
	nsXMLEnc + "sha512":                             crypto.SHA512,
	nsXMLEnc11 + "mgf1sha1":                         crypto.SHA1,
	nsXMLEnc11 + "mgf1sha256":                       crypto.SHA256,
	nsXMLEnc11 + "mgf1sha384":                       crypto.SHA384,
	nsXMLEnc11 + "mgf1sha512":                       crypto.SHA512,
}

// contentCiphers are the content-encryption algorithms: key size and mode.
var contentCiphers = map[string]struct {
	keySize int
	gcm     bool
}{
	nsXMLEnc + "aes128-cbc":   {16, false},
	nsXMLEnc + "aes192-cbc":   {24, false},
	nsXMLEnc + "aes256-cbc":   {32, false},
	nsXMLEnc11 + "aes128-gcm": {16, true},
	nsXMLEnc11 + "aes192-gcm": {24, true},
	nsXMLEnc11 + "aes256-gcm": {32, true},
}

var errDecrypt = errors.New("saml: cannot decrypt")

// detach copies an element with the namespace declarations in scope at its
// place in the document, so that it reads the same on its own.
func detach(el *etree.Element) (*etree.Element, error) {
	ctx, err := etreeutils.NSBuildParentContext(el)
	if err != nil {
		return nil, err
	}
	return etreeutils.NSDetatch(ctx, el)
}

// decryptAssertion decrypts an EncryptedAssertion with one of the SAML
// provider's private keys and returns the Assertion element it holds.
func decryptAssertion(el *etree.Element, keys []crypto.PrivateKey) (*etree.Element, error) {
	if len(keys) == 0 {
		return nil, samlInvalid("The assertion is encrypted, but the SAML provider has no private key to decrypt it.")
	}
	bad := samlInvalid("Failed to decrypt the EncryptedAssertion with the SAML provider's private keys.")
	detached, err := detach(el)
	if err != nil {
		return nil, bad
	}
	var ea xmlEncryptedAssertion
	if unmarshalElement(detached, &ea) != nil {
		return nil, bad
	}
	for _, k := range keys {
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			continue
		}
		for _, ek := range append(ea.Data.KeyInfo.Keys, ea.Keys...) {
			cek, err := unwrapKey(rk, &ek)
			if err != nil {
				continue
			}
			plain, err := decryptContent(ea.Data.Method.Algorithm, cek, ea.Data.Cipher.Value)
			if err != nil {
				continue
			}
			doc := etree.NewDocument()
			if doc.ReadFromBytes(plain) != nil {
				return nil, bad
			}
			for _, tok := range doc.Child {
				if _, ok := tok.(*etree.Directive); ok {
					return nil, bad
				}
			}
			root := doc.Root()
			if root == nil || root.Tag != "Assertion" || root.NamespaceURI() != nsSAMLAssertion {
				return nil, bad
			}
			return root, nil
		}
	}
	return nil, bad
}

// unwrapKey decrypts an EncryptedKey (RSA-OAEP) into a content key.
func unwrapKey(k *rsa.PrivateKey, ek *xmlEncryptedKey) ([]byte, error) {
	ct, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(ek.Cipher.Value), ""))
	if err != nil {
		return nil, errDecrypt
	}
	h, ok := oaepDigests[ek.Method.Digest.Algorithm]
	if !ok {
		return nil, errDecrypt
	}
	mgf := crypto.SHA1 // rsa-oaep-mgf1p fixes MGF1 with SHA-1
	switch ek.Method.Algorithm {
	case nsXMLEnc + "rsa-oaep-mgf1p":
	case nsXMLEnc11 + "rsa-oaep":
		if mgf, ok = oaepDigests[ek.Method.MGF.Algorithm]; !ok {
			return nil, errDecrypt
		}
	default:
		return nil, errDecrypt
	}
	return k.Decrypt(nil, ct, &rsa.OAEPOptions{Hash: h, MGFHash: mgf})
}

// decryptContent decrypts an EncryptedData's CipherValue: the IV (or
// nonce) followed by the ciphertext (and, for GCM, the tag).
func decryptContent(alg string, key []byte, value string) ([]byte, error) {
	c, ok := contentCiphers[alg]
	if !ok || len(key) != c.keySize {
		return nil, errDecrypt
	}
	data, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(value), ""))
	if err != nil {
		return nil, errDecrypt
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, errDecrypt
	}
	if c.gcm {
		aead, err := cipher.NewGCM(block)
		if err != nil || len(data) < aead.NonceSize()+aead.Overhead() {
			return nil, errDecrypt
		}
		return aead.Open(nil, data[:aead.NonceSize()], data[aead.NonceSize():], nil)
	}
	if len(data) < 2*aes.BlockSize || len(data)%aes.BlockSize != 0 {
		return nil, errDecrypt
	}
	out := make([]byte, len(data)-aes.BlockSize)
	cipher.NewCBCDecrypter(block, data[:aes.BlockSize]).CryptBlocks(out, data[aes.BlockSize:])
	// XML Encryption padding: the last byte is the padding length, the
	// other padding bytes are arbitrary.
	pad := int(out[len(out)-1])
	if pad < 1 || pad > aes.BlockSize {
		return nil, errDecrypt
	}
	return out[:len(out)-pad], nil
}
