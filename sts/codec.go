package sts

import (
	"encoding/binary"
	"errors"
	"slices"
	"time"
)

// The binary encoding of Claims inside a session token: every field in a
// fixed order, strings and lists length-prefixed (uvarint), times as varint
// Unix nanoseconds, booleans as one byte. It is what makes opening a token
// cheap (JSON decoding cost several times the AEAD); TestCodecCoversEveryClaim
// fails when a field is added to Claims and not here.

var errClaims = errors.New("sts: malformed claims")

// appendClaims encodes c.
func appendClaims(b []byte, c *Claims) []byte {
	b = appendStrings(b, c.Kind, c.Account, c.AccessKeyID, c.Secret)
	b = binary.AppendVarint(b, c.Issued.UnixNano())
	b = binary.AppendVarint(b, c.Expires.UnixNano())
	b = appendStrings(b, c.RoleARN, c.RoleID, c.SessionName)
	b = appendBool(b, c.Chained)
	b = appendStrings(b, c.UserName)
	b = appendList(b, c.Policies)
	b = appendList(b, c.PolicyARNs)
	keys := make([]string, 0, len(c.Tags))
	for k := range c.Tags {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = binary.AppendUvarint(b, uint64(len(keys)))
	for _, k := range keys {
		b = appendStrings(b, k, c.Tags[k])
	}
	b = appendList(b, c.Transitive)
	b = appendStrings(b, c.Provider, c.SourceIdentity)
	b = appendBool(b, c.MFA)
	b = appendBool(b, c.MFAAuthTime != nil)
	if c.MFAAuthTime != nil {
		b = binary.AppendVarint(b, c.MFAAuthTime.UnixNano())
	}
	return b
}

func appendStrings(b []byte, ss ...string) []byte {
	for _, s := range ss {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	return b
}

func appendList(b []byte, ss []string) []byte {
	b = binary.AppendUvarint(b, uint64(len(ss)))
	return appendStrings(b, ss...)
}

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

// claimsReader decodes what appendClaims wrote; the first error sticks.
// It reads from one string, so that the decoded strings share its memory
// instead of each being allocated, and slices lists from spare room while
// that lasts.
type claimsReader struct {
	s     string
	spare []string
	err   error
}

func (r *claimsReader) uvarint() uint64 {
	var v uint64
	for i := 0; i < len(r.s) && i < binary.MaxVarintLen64; i++ {
		b := r.s[i]
		v |= uint64(b&0x7f) << (7 * i)
		if b < 0x80 {
			if i == binary.MaxVarintLen64-1 && b > 1 {
				break // overflow
			}
			r.s = r.s[i+1:]
			return v
		}
	}
	r.fail()
	return 0
}

func (r *claimsReader) time() time.Time {
	u := r.uvarint()
	v := int64(u >> 1) // zig-zag, as binary.AppendVarint writes
	if u&1 != 0 {
		v = ^v
	}
	if r.err != nil {
		return time.Time{}
	}
	return time.Unix(0, v).UTC()
}

func (r *claimsReader) string() string {
	n := r.uvarint()
	if r.err != nil || n > uint64(len(r.s)) {
		r.fail()
		return ""
	}
	s := r.s[:n]
	r.s = r.s[n:]
	return s
}

// count reads a list length, bounded by the bytes left (every element
// takes at least one).
func (r *claimsReader) count() int {
	n := r.uvarint()
	if r.err != nil || n > uint64(len(r.s)) {
		r.fail()
		return 0
	}
	return int(n)
}

func (r *claimsReader) list() []string {
	n := r.count()
	if n == 0 {
		return nil
	}
	var out []string
	if n <= len(r.spare) {
		out, r.spare = r.spare[:n:n], r.spare[n:]
	} else {
		out = make([]string, n)
	}
	for i := range out {
		out[i] = r.string()
	}
	return out
}

func (r *claimsReader) bool() bool {
	if len(r.s) == 0 || r.s[0] > 1 {
		r.fail()
		return false
	}
	v := r.s[0] == 1
	r.s = r.s[1:]
	return v
}

func (r *claimsReader) fail() {
	if r.err == nil {
		r.err = errClaims
	}
	r.s = ""
}

// readClaims decodes a whole encoding into c, which must be zero; the
// strings of c share the encoding's memory, and its lists the room in spare
// (zero strings) as far as it goes.
func readClaims(c *Claims, enc string, spare []string) error {
	r := &claimsReader{s: enc, spare: spare}
	c.Kind, c.Account, c.AccessKeyID, c.Secret = r.string(), r.string(), r.string(), r.string()
	c.Issued, c.Expires = r.time(), r.time()
	c.RoleARN, c.RoleID, c.SessionName = r.string(), r.string(), r.string()
	c.Chained = r.bool()
	c.UserName = r.string()
	c.Policies = r.list()
	c.PolicyARNs = r.list()
	if n := r.count(); n > 0 {
		c.Tags = make(map[string]string, n)
		for range n {
			k := r.string()
			c.Tags[k] = r.string()
		}
	}
	c.Transitive = r.list()
	c.Provider, c.SourceIdentity = r.string(), r.string()
	c.MFA = r.bool()
	if r.bool() {
		t := r.time()
		c.MFAAuthTime = &t
	}
	if r.err != nil || len(r.s) != 0 {
		return errClaims
	}
	return nil
}
