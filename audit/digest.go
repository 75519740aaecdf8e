package audit

import (
	"bytes"
	"compress/gzip"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
)

// Digest is a CloudTrail digest file: it lists the log files written for an
// account during a period with their SHA-256 hashes, and chains to the
// previous digest by that digest's hash and signature. The digest's own
// signature (RSA PKCS#1 v1.5 over SHA-256, as CloudTrail does) is kept in a
// sidecar file "<digest>.sig", standing in for the S3 object metadata where
// CloudTrail stores it. Object paths are relative to the export directory
// (there is no bucket).
type Digest struct {
	AccountID                string          `json:"awsAccountId"`
	DigestStartTime          string          `json:"digestStartTime"`
	DigestEndTime            string          `json:"digestEndTime"`
	DigestObject             string          `json:"digestS3Object"`
	NewestEventTime          string          `json:"newestEventTime,omitempty"`
	OldestEventTime          string          `json:"oldestEventTime,omitempty"`
	PreviousDigestObject     *string         `json:"previousDigestS3Object"`
	PreviousDigestHashValue  *string         `json:"previousDigestHashValue"`
	PreviousDigestHashAlgo   *string         `json:"previousDigestHashAlgorithm"`
	PreviousDigestSignature  *string         `json:"previousDigestSignature"`
	PublicKeyFingerprint     string          `json:"digestPublicKeyFingerprint"`
	DigestSignatureAlgorithm string          `json:"digestSignatureAlgorithm"`
	LogFiles                 []DigestLogFile `json:"logFiles"`
}

// DigestLogFile is one log file a digest covers.
type DigestLogFile struct {
	Object          string `json:"s3Object"`
	HashValue       string `json:"hashValue"`
	HashAlgorithm   string `json:"hashAlgorithm"`
	NewestEventTime string `json:"newestEventTime"`
	OldestEventTime string `json:"oldestEventTime"`
}

// signature is the sidecar of a digest file.
type signature struct {
	Signature          string `json:"signature"`
	SignatureAlgorithm string `json:"signatureAlgorithm"`
}

const (
	hashAlgorithm      = "SHA-256"
	signatureAlgorithm = "SHA256withRSA"
)

// signingString is what a digest's signature covers, in CloudTrail's layout:
// end time, object path, hex SHA-256 of the uncompressed digest, previous
// signature (hex), one per line.
func signingString(d *Digest, contentHash string) []byte {
	prev := ""
	if d.PreviousDigestSignature != nil {
		prev = *d.PreviousDigestSignature
	}
	return []byte(d.DigestEndTime + "\n" + d.DigestObject + "\n" + contentHash + "\n" + prev)
}

// signDigest signs a digest whose uncompressed content hashes to contentHash
// and returns the hex signature.
func signDigest(key *rsa.PrivateKey, d *Digest, contentHash string) (string, error) {
	sum := sha256.Sum256(signingString(d, contentHash))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(sig), nil
}

// verifyDigest checks a digest's hex signature.
func verifyDigest(pub *rsa.PublicKey, d *Digest, contentHash, sigHex string) error {
	sig, err := hex.DecodeString(sigHex)
	if err != nil {
		return fmt.Errorf("signature is not hex: %w", err)
	}
	sum := sha256.Sum256(signingString(d, contentHash))
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig); err != nil {
		return errors.New("signature does not match the digest")
	}
	return nil
}

// Fingerprint is the hex SHA-256 of a public key's PKIX encoding, written in
// every digest to name the key that signed it.
func Fingerprint(pub *rsa.PublicKey) string {
	der, _ := x509.MarshalPKIXPublicKey(pub)
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}

// LoadOrCreateSigningKey reads the PEM (PKCS#8) RSA key at path, creating a
// 2048-bit key there (mode 0600) when the file does not exist.
func LoadOrCreateSigningKey(path string) (*rsa.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		key, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return nil, err
		}
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			return nil, err
		}
		out := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
		if err := os.WriteFile(path, out, 0o600); err != nil {
			return nil, err
		}
		return key, nil
	}
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("%s: no PEM block", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	key, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%s: not an RSA key", path)
	}
	return key, nil
}

// EncodePublicKey renders a public key as PEM (PKIX).
func EncodePublicKey(pub *rsa.PublicKey) []byte {
	der, _ := x509.MarshalPKIXPublicKey(pub)
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// ParsePublicKey reads a PEM (PKIX) RSA public key.
func ParsePublicKey(data []byte) (*rsa.PublicKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("no PEM block")
	}
	k, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, err
	}
	pub, ok := k.(*rsa.PublicKey)
	if !ok {
		return nil, errors.New("not an RSA public key")
	}
	return pub, nil
}

// gzipBytes compresses data.
func gzipBytes(data []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(data)
	zw.Close()
	return buf.Bytes()
}

// gunzipFile reads and decompresses a file.
func gunzipFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(zr)
}

// hashHex is the hex SHA-256 of data.
func hashHex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// marshalDigest renders a digest as the bytes that are hashed and stored.
func marshalDigest(d *Digest) []byte {
	data, _ := json.Marshal(d)
	return data
}
