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
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

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
// deployment's master key, oldest first; the newest seals new tokens, the
// others only open tokens they sealed (see rotate.go).
type keyRecord struct {
	Keys []sealedKey
}

type sealedKey struct {
	ID     uint32
	Sealed []byte
	// Created is when the key was added (zero for rings written before
	// rotation existed).
	Created time.Time `json:",omitzero"`
}

const kindKeyRing = "system.sts-keyring"

var ringKey = store.Key{Kind: kindKeyRing, ID: "ring"}

// KeyRing seals and opens session tokens. Keys live in the store (sealed), so
// every node of a deployment shares them; a node picks up keys another node
// added when a token names a key it does not know, and at most keyRefresh
// after the last load when it seals.
type KeyRing struct {
	st     store.Store
	sealer *iam.Sealer
	keys   atomic.Pointer[ringKeys]
	mu     sync.Mutex   // serializes reloads
	next   atomic.Int64 // unix nanoseconds before which an unknown key id does not trigger a reload
}

// ringKeys is one immutable generation of the ring.
type ringKeys struct {
	current uint32
	aeads   map[uint32]cipher.AEAD
	sealed  map[uint32]string // each key as stored, to tell a reused id
	loaded  time.Time
}

// keyRefresh is how long a node seals with the newest key it knows before
// it reads the ring again; minReload bounds how often tokens with unknown
// key ids (new keys, or forgeries) make it read the store.
const (
	keyRefresh = time.Minute
	minReload  = time.Second
)

// LoadKeyRing reads the deployment's key ring, creating it on first use.
func LoadKeyRing(ctx context.Context, st store.Store, sealer *iam.Sealer) (*KeyRing, error) {
	var rec keyRecord
	err := st.Update(ctx, func(tx store.Tx) error {
		r, err := tx.Get(ctx, ringKey)
		if err == nil {
			return json.Unmarshal(r.Data, &rec)
		}
		if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		k, err := newSealedKey(sealer, 1, time.Now())
		if err != nil {
			return err
		}
		rec = keyRecord{Keys: []sealedKey{k}}
		data, _ := json.Marshal(&rec)
		_, err = tx.Create(ctx, store.Record{Kind: kindKeyRing, ID: ringKey.ID, Data: data})
		return err
	})
	if err != nil {
		return nil, err
	}
	kr := &KeyRing{st: st, sealer: sealer}
	if err := kr.install(&rec, sealer); err != nil {
		return nil, err
	}
	return kr, nil
}

// newSealedKey makes a random AES-256 key sealed with the master key.
func newSealedKey(sealer *iam.Sealer, id uint32, now time.Time) (sealedKey, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return sealedKey{}, err
	}
	return sealedKey{ID: id, Sealed: sealer.Seal(string(key), keyAAD(id)), Created: now.UTC()}, nil
}

func keyAAD(id uint32) string { return "sts-key-" + strconv.FormatUint(uint64(id), 10) }

// install makes a stored ring the current generation, reusing the ciphers
// of keys it already holds.
func (kr *KeyRing) install(rec *keyRecord, sealer *iam.Sealer) error {
	if len(rec.Keys) == 0 {
		return errors.New("sts: the stored key ring has no keys")
	}
	old := kr.keys.Load()
	gen := &ringKeys{aeads: make(map[uint32]cipher.AEAD, len(rec.Keys)), sealed: make(map[uint32]string, len(rec.Keys)), loaded: time.Now()}
	for _, k := range rec.Keys {
		gen.sealed[k.ID] = string(k.Sealed)
		if old != nil && old.aeads[k.ID] != nil && old.sealed[k.ID] == string(k.Sealed) {
			gen.aeads[k.ID] = old.aeads[k.ID]
		} else {
			raw, err := sealer.Open(k.Sealed, keyAAD(k.ID))
			if err != nil {
				return err
			}
			block, err := aes.NewCipher([]byte(raw))
			if err != nil {
				return err
			}
			if gen.aeads[k.ID], err = cipher.NewGCM(block); err != nil {
				return err
			}
		}
		gen.current = k.ID
	}
	kr.keys.Store(gen)
	return nil
}

// Reload reads the ring from the store.
func (kr *KeyRing) Reload(ctx context.Context) error {
	kr.mu.Lock()
	defer kr.mu.Unlock()
	return kr.reloadLocked(ctx)
}

func (kr *KeyRing) reloadLocked(ctx context.Context) error {
	var rec keyRecord
	err := kr.st.View(ctx, func(tx store.Tx) error {
		r, err := tx.Get(ctx, ringKey)
		if err != nil {
			return err
		}
		return json.Unmarshal(r.Data, &rec)
	})
	if err != nil {
		return err
	}
	return kr.install(&rec, kr.sealer)
}

// refresh reloads the ring in the background of a request: one caller at a
// time, the others carry on with the keys they have; a failed read keeps
// the current keys.
func (kr *KeyRing) refresh() {
	if !kr.mu.TryLock() {
		return
	}
	defer kr.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if kr.reloadLocked(ctx) != nil {
		// Try again at the next refresh interval rather than on every call.
		if gen := kr.keys.Load(); gen != nil {
			kr.keys.Store(&ringKeys{current: gen.current, aeads: gen.aeads, sealed: gen.sealed, loaded: time.Now()})
		}
	}
}

// CurrentKeyID is the id of the key that seals new tokens.
func (kr *KeyRing) CurrentKeyID() uint32 { return kr.keys.Load().current }

// Sealed blobs start with a format byte, so that the format can change and
// a blob sealed for one purpose never opens as another: a session token is
// not an authorization message.
const (
	jsonTokenVersion = 1 // claims as JSON: tokens sealed by earlier versions
	messageVersion   = 2
	tokenVersion     = 3 // claims in the binary encoding of codec.go
)

// Seal turns claims into a session token.
func (kr *KeyRing) Seal(c *Claims) (string, error) {
	out, err := kr.seal(tokenVersion, appendClaims(make([]byte, 0, 512), c))
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(out), nil
}

// seal encrypts plain with the newest key: format byte, key id (4 bytes,
// big-endian), nonce, then the ciphertext authenticated with the header.
func (kr *KeyRing) seal(format byte, plain []byte) ([]byte, error) {
	gen := kr.keys.Load()
	if time.Since(gen.loaded) > keyRefresh {
		kr.refresh()
		gen = kr.keys.Load()
	}
	aead := gen.aeads[gen.current]
	head := make([]byte, 5, 5+aead.NonceSize()+len(plain)+aead.Overhead())
	head[0] = format
	binary.BigEndian.PutUint32(head[1:], gen.current)
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	out := append(head, nonce...)
	return aead.Seal(out, nonce, plain, head), nil
}

// errBadToken is any token that does not open.
var errBadToken = errors.New("sts: invalid session token")

// Open reads a session token; it fails for tokens this deployment did not
// issue or that were altered. Expiry is the caller's to check.
func (kr *KeyRing) Open(token string) (*Claims, error) {
	c := new(Claims)
	if err := kr.openClaims(token, c, nil); err != nil {
		return nil, err
	}
	return c, nil
}

// openClaims is Open into claims the caller allocated (zero), with room
// for their lists (see readClaims).
func (kr *KeyRing) openClaims(token string, c *Claims, spare []string) error {
	// The token is decoded and decrypted in place in a buffer of its own,
	// which the decoded claims' strings then share: nothing writes to it
	// once it is open.
	raw := make([]byte, base64.StdEncoding.DecodedLen(len(token)))
	n, err := decodeToken(raw, token)
	if err != nil || n == 0 {
		return errBadToken
	}
	raw = raw[:n]
	plain, err := kr.open(raw[0], raw)
	if err != nil {
		return err
	}
	switch raw[0] {
	case tokenVersion:
		if readClaims(c, unsafe.String(unsafe.SliceData(plain), len(plain)), spare) != nil {
			*c = Claims{}
			return errBadToken
		}
		return nil
	case jsonTokenVersion:
		if json.Unmarshal(plain, c) != nil {
			*c = Claims{}
			return errBadToken
		}
		return nil
	}
	return errBadToken
}

// open decrypts what seal produced with the same format byte, in place:
// the plaintext overwrites raw's ciphertext.
func (kr *KeyRing) open(format byte, raw []byte) ([]byte, error) {
	if len(raw) < 5 || raw[0] != format {
		return nil, errBadToken
	}
	aead := kr.aead(binary.BigEndian.Uint32(raw[1:5]))
	if aead == nil || len(raw) < 5+aead.NonceSize()+aead.Overhead() {
		return nil, errBadToken
	}
	nonce, ciphertext := raw[5:5+aead.NonceSize()], raw[5+aead.NonceSize():]
	plain, err := aead.Open(ciphertext[:0], nonce, ciphertext, raw[:5])
	if err != nil {
		return nil, errBadToken
	}
	return plain, nil
}

// aead returns the cipher of a key id, reading the ring again (at most once
// per minReload) when the id is unknown: another node may have rotated.
func (kr *KeyRing) aead(id uint32) cipher.AEAD {
	if a := kr.keys.Load().aeads[id]; a != nil {
		return a
	}
	now := time.Now().UnixNano()
	next := kr.next.Load()
	if now < next || !kr.next.CompareAndSwap(next, now+int64(minReload)) {
		return nil
	}
	kr.refresh()
	return kr.keys.Load().aeads[id]
}
