package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"hash"
	"strings"
	"sync"
)

// deriveKey computes the SigV4 signing key: the HMAC-SHA256 chain
// "AWS4"+secret → date → region → service → "aws4_request".
func deriveKey(secret, date, region, service string) [sha256.Size]byte {
	k := hmacOnce([]byte("AWS4"+secret), date)
	k = hmacOnce(k, region)
	k = hmacOnce(k, service)
	k = hmacOnce(k, scopeTerminator)
	return [sha256.Size]byte(k)
}

func hmacOnce(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

// keyCacheSize bounds the signing-key cache. A key is valid for one day, one
// region and one service, so a busy node needs about one entry per active
// access key and day.
const keyCacheSize = 4096

// keyID names a derived signing key. The secret is part of the name so a
// rotated or re-issued secret never meets a stale key.
type keyID struct{ secret, date, region, service string }

// keyCache holds derived signing keys. It is safe for concurrent use; when
// full it drops an arbitrary eighth of its entries.
type keyCache struct {
	mu   sync.RWMutex
	keys map[keyID][sha256.Size]byte
}

// get returns the signing key for id, deriving and caching it on a miss.
func (c *keyCache) get(id keyID) [sha256.Size]byte {
	c.mu.RLock()
	k, ok := c.keys[id]
	c.mu.RUnlock()
	if ok {
		return k
	}
	k = deriveKey(id.secret, id.date, id.region, id.service)
	// The strings may point into a request's headers: keep copies, not the
	// whole header values.
	id = keyID{strings.Clone(id.secret), strings.Clone(id.date), strings.Clone(id.region), strings.Clone(id.service)}
	c.mu.Lock()
	if c.keys == nil {
		c.keys = make(map[keyID][sha256.Size]byte)
	}
	if len(c.keys) >= keyCacheSize {
		drop := keyCacheSize / 8
		for old := range c.keys {
			delete(c.keys, old)
			if drop--; drop == 0 {
				break
			}
		}
	}
	c.keys[id] = k
	c.mu.Unlock()
	return k
}

// macer computes HMAC-SHA256 with a 32-byte key using one reusable SHA-256
// state, so the hot path of Verify does not allocate.
type macer struct {
	h     hash.Hash
	pad   [sha256.BlockSize]byte
	inner [sha256.Size]byte
	out   [sha256.Size]byte
}

// sum returns HMAC-SHA256(key, msg). The result is valid until the next call.
func (m *macer) sum(key *[sha256.Size]byte, msg []byte) *[sha256.Size]byte {
	if m.h == nil {
		m.h = sha256.New()
	}
	for i := range m.pad {
		var k byte
		if i < len(key) {
			k = key[i]
		}
		m.pad[i] = k ^ 0x36
	}
	m.h.Reset()
	m.h.Write(m.pad[:])
	m.h.Write(msg)
	m.h.Sum(m.inner[:0])
	for i := range m.pad {
		m.pad[i] ^= 0x36 ^ 0x5c
	}
	m.h.Reset()
	m.h.Write(m.pad[:])
	m.h.Write(m.inner[:])
	m.h.Sum(m.out[:0])
	return &m.out
}
