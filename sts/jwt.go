package sts

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"strings"
)

// jwt is a parsed, not yet verified, JSON Web Token (RFC 7519) in compact
// JWS form.
type jwt struct {
	header struct {
		Alg string `json:"alg"`
		Kid string `json:"kid"`
	}
	claims map[string]any
	signed string // header.payload, the signing input
	sig    []byte
}

var errMalformedJWT = errors.New("the token is not a well-formed JWT")

// parseJWT splits and decodes a compact JWS.
func parseJWT(token string) (*jwt, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, errMalformedJWT
	}
	t := &jwt{signed: parts[0] + "." + parts[1]}
	head, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil || json.Unmarshal(head, &t.header) != nil {
		return nil, errMalformedJWT
	}
	body, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, errMalformedJWT
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.UseNumber()
	if err := dec.Decode(&t.claims); err != nil || t.claims == nil {
		return nil, errMalformedJWT
	}
	if t.sig, err = base64.RawURLEncoding.DecodeString(parts[2]); err != nil {
		return nil, errMalformedJWT
	}
	return t, nil
}

// verify checks the signature with a key from the issuer's key set.
func (t *jwt) verify(key crypto.PublicKey) error {
	var h crypto.Hash
	switch t.header.Alg {
	case "RS256", "ES256", "PS256":
		h = crypto.SHA256
	case "RS384", "ES384", "PS384":
		h = crypto.SHA384
	case "RS512", "ES512", "PS512":
		h = crypto.SHA512
	default:
		return errors.New("unsupported signing algorithm " + t.header.Alg)
	}
	digest := hashOf(h, t.signed)
	bad := errors.New("the token's signature is invalid")
	switch k := key.(type) {
	case *rsa.PublicKey:
		var err error
		switch t.header.Alg[0] {
		case 'R':
			err = rsa.VerifyPKCS1v15(k, h, digest, t.sig)
		case 'P':
			err = rsa.VerifyPSS(k, h, digest, t.sig, nil)
		default:
			return bad
		}
		if err != nil {
			return bad
		}
	case *ecdsa.PublicKey:
		size := (k.Curve.Params().BitSize + 7) / 8
		if t.header.Alg[0] != 'E' || len(t.sig) != 2*size {
			return bad
		}
		r := new(big.Int).SetBytes(t.sig[:size])
		s := new(big.Int).SetBytes(t.sig[size:])
		if !ecdsa.Verify(k, digest, r, s) {
			return bad
		}
	default:
		return bad
	}
	return nil
}

func hashOf(h crypto.Hash, s string) []byte {
	switch h {
	case crypto.SHA384:
		d := sha512.Sum384([]byte(s))
		return d[:]
	case crypto.SHA512:
		d := sha512.Sum512([]byte(s))
		return d[:]
	}
	d := sha256.Sum256([]byte(s))
	return d[:]
}

// jwk is one key of a JSON Web Key Set (RFC 7517).
type jwk struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Use string `json:"use"`
	N   string `json:"n"`
	E   string `json:"e"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
}

// publicKey decodes an RSA or EC key.
func (k *jwk) publicKey() (crypto.PublicKey, error) {
	b64 := base64.RawURLEncoding.DecodeString
	switch k.Kty {
	case "RSA":
		n, err1 := b64(k.N)
		e, err2 := b64(k.E)
		if err1 != nil || err2 != nil || len(e) > 4 || len(n) == 0 {
			return nil, errors.New("bad RSA key")
		}
		exp := 0
		for _, b := range e {
			exp = exp<<8 | int(b)
		}
		return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: exp}, nil
	case "EC":
		var curve elliptic.Curve
		switch k.Crv {
		case "P-256":
			curve = elliptic.P256()
		case "P-384":
			curve = elliptic.P384()
		case "P-521":
			curve = elliptic.P521()
		default:
			return nil, errors.New("unsupported curve")
		}
		x, err1 := b64(k.X)
		y, err2 := b64(k.Y)
		if err1 != nil || err2 != nil {
			return nil, errors.New("bad EC key")
		}
		size := (curve.Params().BitSize + 7) / 8
		if len(x) > size || len(y) > size {
			return nil, errors.New("bad EC key")
		}
		// Go's ecdsa accepts keys via the uncompressed point encoding.
		point := make([]byte, 1+2*size)
		point[0] = 4
		copy(point[1+size-len(x):1+size], x)
		copy(point[1+2*size-len(y):], y)
		pub, err := ecdsa.ParseUncompressedPublicKey(curve, point)
		if err != nil {
			return nil, errors.New("bad EC key")
		}
		return pub, nil
	}
	return nil, errors.New("unsupported key type " + k.Kty)
}
