package iam

import (
	"crypto/md5"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/pem"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/gatehouse-iam/gatehouse/awserr"
	"github.com/gatehouse-iam/gatehouse/store"
)

// kindSSHKey is an SSH public key of a user (for CodeCommit); ID: the key
// id; Parent: the user's UserId.
const kindSSHKey = "iam.sshkey"

// SSH public key limits: IAM's SSHPublicKeysPerUser quota, and the smallest
// RSA modulus IAM accepts.
const (
	sshKeysPerUser = 5
	sshMinRSABits  = 2048
)

// SSHPublicKey is an RSA public key a user authenticates to CodeCommit with,
// kept in both encodings GetSSHPublicKey can return.
type SSHPublicKey struct {
	SSHPublicKeyId string
	Fingerprint    string // MD5 of the key blob, colon-separated hex
	SSH            string // "ssh-rsa BASE64"
	PEM            string // PKIX "PUBLIC KEY" block
	Status         string
	UploadDate     time.Time
}

func init() {
	register(
		&Operation{Name: "UploadSSHPublicKey", Resource: userResource, Handle: uploadSSHKey},
		&Operation{Name: "GetSSHPublicKey", Resource: userResource, Handle: getSSHKey},
		&Operation{Name: "ListSSHPublicKeys", Resource: selfOrUserResource, Handle: listSSHKeys},
		&Operation{Name: "UpdateSSHPublicKey", Resource: userResource, Handle: updateSSHKey},
		&Operation{Name: "DeleteSSHPublicKey", Resource: userResource, Handle: deleteSSHKey},
	)
}

func sshKeyMissing(id string) string { return "The Public Key with id " + id + " cannot be found." }

var errSSHEncoding = awserr.New("UnrecognizedPublicKeyEncoding",
	"The public key encoding format is unsupported or unrecognized. The public key must be encoded in ssh-rsa format or PEM format.")

func invalidSSHKey(why string) error {
	return awserr.New("InvalidPublicKey", "The public key is malformed or otherwise invalid: "+why+".")
}

// parseSSHPublicKey reads an RSA public key in OpenSSH ("ssh-rsa AAAA…
// [comment]") or PEM (PKIX "PUBLIC KEY" or PKCS #1 "RSA PUBLIC KEY") form.
func parseSSHPublicKey(body string) (*rsa.PublicKey, error) {
	body = strings.TrimSpace(body)
	var key *rsa.PublicKey
	switch {
	case strings.HasPrefix(body, "-----BEGIN"):
		block, rest := pem.Decode([]byte(body))
		if block == nil || strings.TrimSpace(string(rest)) != "" {
			return nil, errSSHEncoding
		}
		switch block.Type {
		case "PUBLIC KEY":
			pub, err := x509.ParsePKIXPublicKey(block.Bytes)
			if err != nil {
				return nil, invalidSSHKey("the PEM key does not parse")
			}
			rk, ok := pub.(*rsa.PublicKey)
			if !ok {
				return nil, errSSHEncoding
			}
			key = rk
		case "RSA PUBLIC KEY":
			rk, err := x509.ParsePKCS1PublicKey(block.Bytes)
			if err != nil {
				return nil, invalidSSHKey("the PEM key does not parse")
			}
			key = rk
		default:
			return nil, errSSHEncoding
		}
	default:
		fields := strings.Fields(body)
		if len(fields) < 2 || fields[0] != "ssh-rsa" {
			return nil, errSSHEncoding
		}
		blob, err := base64.StdEncoding.DecodeString(fields[1])
		if err != nil {
			return nil, invalidSSHKey("the key is not base64")
		}
		if key, err = decodeSSHRSA(blob); err != nil {
			return nil, err
		}
	}
	if key.N.BitLen() < sshMinRSABits {
		return nil, invalidSSHKey(fmt.Sprintf("the key must be at least %d bits long", sshMinRSABits))
	}
	return key, nil
}

// decodeSSHRSA decodes an ssh-rsa key blob (RFC 4253 section 6.6): the
// string "ssh-rsa", then the mpints e and n.
func decodeSSHRSA(blob []byte) (*rsa.PublicKey, error) {
	var parts [3][]byte
	for i := range parts {
		if len(blob) < 4 {
			return nil, invalidSSHKey("the key blob is truncated")
		}
		n := binary.BigEndian.Uint32(blob)
		if uint64(n) > uint64(len(blob)-4) {
			return nil, invalidSSHKey("the key blob is truncated")
		}
		parts[i], blob = blob[4:4+n], blob[4+n:]
	}
	if len(blob) != 0 || string(parts[0]) != "ssh-rsa" {
		return nil, invalidSSHKey("the key blob is not an ssh-rsa key")
	}
	e, n := new(big.Int).SetBytes(parts[1]), new(big.Int).SetBytes(parts[2])
	if len(parts[1]) > 0 && parts[1][0]&0x80 != 0 || len(parts[2]) > 0 && parts[2][0]&0x80 != 0 {
		return nil, invalidSSHKey("the key has a negative number")
	}
	if !e.IsInt64() || e.Int64() < 3 || e.Int64() > 1<<31-1 || e.Bit(0) == 0 || n.Sign() <= 0 {
		return nil, invalidSSHKey("the key's numbers are out of range")
	}
	return &rsa.PublicKey{N: n, E: int(e.Int64())}, nil
}

// encodeSSHRSA encodes an RSA key as an ssh-rsa key blob.
func encodeSSHRSA(k *rsa.PublicKey) []byte {
	var b []byte
	for _, part := range [][]byte{[]byte("ssh-rsa"), mpint(big.NewInt(int64(k.E))), mpint(k.N)} {
		b = binary.BigEndian.AppendUint32(b, uint32(len(part)))
		b = append(b, part...)
	}
	return b
}

// mpint is the SSH encoding of a non-negative integer: big-endian, with a
// leading zero byte when the high bit is set.
func mpint(x *big.Int) []byte {
	b := x.Bytes()
	if len(b) > 0 && b[0]&0x80 != 0 {
		b = append([]byte{0}, b...)
	}
	return b
}

// newSSHPublicKey builds the record of an uploaded key.
func newSSHPublicKey(body string, now time.Time) (*SSHPublicKey, error) {
	key, err := parseSSHPublicKey(body)
	if err != nil {
		return nil, err
	}
	blob := encodeSSHRSA(key)
	sum := md5.Sum(blob)
	hexes := make([]string, len(sum))
	for i, b := range sum {
		hexes[i] = fmt.Sprintf("%02x", b)
	}
	der, err := x509.MarshalPKIXPublicKey(key)
	if err != nil {
		return nil, invalidSSHKey("the key cannot be encoded")
	}
	return &SSHPublicKey{
		SSHPublicKeyId: newAccessKeyID("APKA"),
		Fingerprint:    strings.Join(hexes, ":"),
		SSH:            "ssh-rsa " + base64.StdEncoding.EncodeToString(blob),
		PEM:            string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})),
		Status:         "Active",
		UploadDate:     now,
	}, nil
}

func sshKeyOutput(o credOwner, k *SSHPublicKey, encoding string) map[string]any {
	body := k.SSH
	if encoding == "PEM" {
		body = k.PEM
	}
	return map[string]any{"UserName": o.Name, "SSHPublicKeyId": k.SSHPublicKeyId, "Fingerprint": k.Fingerprint,
		"SSHPublicKeyBody": body, "Status": k.Status, "UploadDate": k.UploadDate}
}

func uploadSSHKey(s *Service, c *Call) (any, error) {
	k, err := newSSHPublicKey(c.Params.String("SSHPublicKeyBody"), c.Now)
	if err != nil {
		return nil, err
	}
	var out map[string]any
	err = s.update(c.Ctx, func(tx store.Tx) error {
		o, err := readCredOwner(c, tx, c.Params.String("UserName"))
		if err != nil {
			return err
		}
		keys, err := ownedBy[SSHPublicKey](c, tx, kindSSHKey, o)
		if err != nil {
			return err
		}
		for _, other := range keys {
			if other.Fingerprint == k.Fingerprint {
				return awserr.New("DuplicateSSHPublicKey", "The SSH public key is already associated with the specified IAM user.")
			}
		}
		if len(keys) >= sshKeysPerUser {
			return awserr.New("LimitExceeded", fmt.Sprintf("Cannot exceed quota for SSHPublicKeysPerUser: %d", sshKeysPerUser))
		}
		out = sshKeyOutput(o, k, "SSH")
		return put(c.Ctx, tx, kindSSHKey, c.Account, k.SSHPublicKeyId, o.Parent, k, true)
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"SSHPublicKey": out}, nil
}

func getSSHKey(s *Service, c *Call) (any, error) {
	id := c.Params.String("SSHPublicKeyId")
	var out map[string]any
	err := s.store.View(c.Ctx, func(tx store.Tx) error {
		o, err := readCredOwner(c, tx, c.Params.String("UserName"))
		if err != nil {
			return err
		}
		k, err := readOwned[SSHPublicKey](c, tx, kindSSHKey, id, o, sshKeyMissing(id))
		if err != nil {
			return err
		}
		out = sshKeyOutput(o, k, c.Params.String("Encoding"))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"SSHPublicKey": out}, nil
}

func listSSHKeys(s *Service, c *Call) (any, error) {
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
		keys, err := ownedBy[SSHPublicKey](c, tx, kindSSHKey, o)
		for _, k := range keys {
			out = append(out, map[string]any{"UserName": o.Name, "SSHPublicKeyId": k.SSHPublicKeyId,
				"Status": k.Status, "UploadDate": k.UploadDate})
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	pg, trunc, marker, err := page(c.Params, out, func(m map[string]any) string { return m["SSHPublicKeyId"].(string) })
	if err != nil {
		return nil, err
	}
	return listResult("SSHPublicKeys", pg, trunc, marker), nil
}

// modifySSHKey reads one of the user's keys and lets fn change it (written
// back) or delete it.
func (s *Service) modifySSHKey(c *Call, fn func(k *SSHPublicKey) (del bool)) error {
	id := c.Params.String("SSHPublicKeyId")
	return modifyOwned(s, c, kindSSHKey, c.Params.String("UserName"), id, sshKeyMissing(id), func(_ credOwner, k *SSHPublicKey) bool { return fn(k) })
}

func updateSSHKey(s *Service, c *Call) (any, error) {
	status, err := settableStatus(c)
	if err != nil {
		return nil, err
	}
	return nil, s.modifySSHKey(c, func(k *SSHPublicKey) bool {
		k.Status = status
		return false
	})
}

func deleteSSHKey(s *Service, c *Call) (any, error) {
	return nil, s.modifySSHKey(c, func(*SSHPublicKey) bool { return true })
}
