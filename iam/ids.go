package iam

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
)

// Unique ID prefixes as AWS uses them.
const (
	prefixUser      = "AIDA"
	prefixRole      = "AROA"
	prefixGroup     = "AGPA"
	prefixPolicy    = "ANPA"
	prefixProfile   = "AIPA"
	prefixAccessKey = "AKIA"
)

const idAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

// newID returns a 21-character unique ID with the given prefix, as IAM's
// (prefix, then 17 characters of base32).
func newID(prefix string) string { return prefix + randomString(17, idAlphabet) }

// newAccessKeyID returns a 20-character access key ID.
func newAccessKeyID(prefix string) string { return prefix + randomString(16, idAlphabet) }

const secretAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

// newSecret returns a 40-character secret access key.
func newSecret() string { return randomString(40, secretAlphabet) }

func randomString(n int, alphabet string) string {
	buf := make([]byte, n)
	if _, err := rand.Read(buf); err != nil {
		panic("iam: no randomness: " + err.Error())
	}
	for i, b := range buf {
		buf[i] = alphabet[int(b)%len(alphabet)]
	}
	return string(buf)
}

// Sealer encrypts secrets at rest (access key secrets) with AES-256-GCM.
type Sealer struct{ aead cipher.AEAD }

// NewSealer makes a Sealer from a 32-byte key.
func NewSealer(key []byte) (*Sealer, error) {
	if len(key) != 32 {
		return nil, errors.New("iam: the secret key must be 32 bytes")
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Sealer{aead: aead}, nil
}

// NewKey returns a fresh random 32-byte key, base64-encoded.
func NewKey() string {
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		panic("iam: no randomness: " + err.Error())
	}
	return base64.StdEncoding.EncodeToString(k)
}

// Seal encrypts plaintext, binding it to aad (the record it belongs to).
func (s *Sealer) Seal(plaintext, aad string) []byte {
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		panic("iam: no randomness: " + err.Error())
	}
	return s.aead.Seal(nonce, nonce, []byte(plaintext), []byte(aad))
}

// Open decrypts what Seal produced for the same aad.
func (s *Sealer) Open(sealed []byte, aad string) (string, error) {
	n := s.aead.NonceSize()
	if len(sealed) < n {
		return "", errors.New("iam: sealed secret too short")
	}
	out, err := s.aead.Open(nil, sealed[:n], sealed[n:], []byte(aad))
	if err != nil {
		return "", errors.New("iam: sealed secret does not open")
	}
	return string(out), nil
}
