package sts

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/gatehouse-iam/gatehouse/iam"
	"github.com/gatehouse-iam/gatehouse/store"
)

// Claims are what a session token carries: everything needed to
// authenticate and authorize the session's requests on any node, without a
// lookup, as AWS's session tokens do.
type Claims struct {
	Kind        string    `json:"k"` // "role", "user" (GetSessionToken), "federated"
	Account     string    `json:"a"`
	AccessKeyID string    `json:"i"`
	Secret      string    `json:"s"`
	Issued      time.Time `json:"t"`
	Expires     time.Time `json:"e"`
	// Role sessions.
	RoleARN     string `json:"ra,omitempty"`
	RoleID      string `json:"ri,omitempty"`
	SessionName string `json:"sn,omitempty"`
	Chained     bool   `json:"c,omitempty"` // assumed with role-session credentials
	// GetSessionToken and GetFederationToken: the IAM user ("" for root).
	UserName string `json:"u,omitempty"`
	// Session policies: inline documents and managed policy ARNs.
	Policies   []string          `json:"p,omitempty"`
	PolicyARNs []string          `json:"pa,omitempty"`
	Tags       map[string]string `json:"tg,omitempty"`
	Transitive []string          `json:"tt,omitempty"`
	// Provider is the identity provider of web-identity and SAML sessions
	// (aws:FederatedProvider).
	Provider string `json:"pv,omitempty"`
	// SourceIdentity persists through role chains.
	SourceIdentity string     `json:"si,omitempty"`
	MFA            bool       `json:"m,omitempty"`
	MFAAuthTime    *time.Time `json:"mt,omitempty"`
}

// keyRecord is the stored key ring: AES-256 keys sealed with the
// deployment's master key, newest last.
type keyRecord struct {
	Keys []sealedKey
}

type sealedKey struct {
	ID     uint32
	Sealed []byte
}

const kindKeyRing = "system.sts-keyring"

// KeyRing seals and opens session tokens. Keys live in the store (sealed), so
// every node of a deployment shares them.
type KeyRing struct {
	current uint32
	aeads   map[uint32]cipher.AEAD
}

// LoadKeyRing reads the deployment's key ring, creating it on first use.
func LoadKeyRing(ctx context.Context, st store.Store, sealer *iam.Sealer) (*KeyRing, error) {
	var rec keyRecord
	err := st.Update(ctx, func(tx store.Tx) error {
		r, err := tx.Get(ctx, store.Key{Kind: kindKeyRing, ID: "ring"})
		if err == nil {
			return json.Unmarshal(r.Data, &rec)
		}
		if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		key := make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return err
		}
		rec = keyRecord{Keys: []sealedKey{{ID: 1, Sealed: sealer.Seal(string(key), "sts-key-1")}}}
		data, _ := json.Marshal(&rec)
		_, err = tx.Create(ctx, store.Record{Kind: kindKeyRing, ID: "ring", Data: data})
		return err
	})
	if err != nil {
		return nil, err
	}
	kr := &KeyRing{aeads: map[uint32]cipher.AEAD{}}
	for _, k := range rec.Keys {
		raw, err := sealer.Open(k.Sealed, "sts-key-"+strconv.FormatUint(uint64(k.ID), 10))
		if err != nil {
			return nil, err
		}
		block, err := aes.NewCipher([]byte(raw))
		if err != nil {
			return nil, err
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, err
		}
		kr.aeads[k.ID] = aead
		kr.current = k.ID
	}
	return kr, nil
}

// tokenVersion prefixes every token so the format can change.
const tokenVersion = 1

// Seal turns claims into a session token.
func (kr *KeyRing) Seal(c *Claims) (string, error) {
	plain, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	aead := kr.aeads[kr.current]
	head := make([]byte, 5, 5+aead.NonceSize()+len(plain)+aead.Overhead())
	head[0] = tokenVersion
	binary.BigEndian.PutUint32(head[1:], kr.current)
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	out := append(head, nonce...)
	out = aead.Seal(out, nonce, plain, head)
	return base64.StdEncoding.EncodeToString(out), nil
}

// errBadToken is any token that does not open.
var errBadToken = errors.New("sts: invalid session token")

// Open reads a session token; it fails for tokens this deployment did not
// issue or that were altered. Expiry is the caller's to check.
func (kr *KeyRing) Open(token string) (*Claims, error) {
	raw, err := base64.StdEncoding.DecodeString(token)
	if err != nil || len(raw) < 5 || raw[0] != tokenVersion {
		return nil, errBadToken
	}
	aead, ok := kr.aeads[binary.BigEndian.Uint32(raw[1:5])]
	if !ok || len(raw) < 5+aead.NonceSize()+aead.Overhead() {
		return nil, errBadToken
	}
	nonce := raw[5 : 5+aead.NonceSize()]
	plain, err := aead.Open(nil, nonce, raw[5+aead.NonceSize():], raw[:5])
	if err != nil {
		return nil, errBadToken
	}
	var c Claims
	if err := json.Unmarshal(plain, &c); err != nil {
		return nil, errBadToken
	}
	return &c, nil
}
