// Package sigv4 verifies (and, for Gatehouse's own tests and proxy, creates)
// AWS Signature Version 4 signatures: the Authorization-header form every SDK
// sends and the presigned query-string form.
//
// Verification follows AWS's order of checks and answers with AWS's error
// codes and messages (MissingAuthenticationToken, IncompleteSignature,
// SignatureDoesNotMatch, InvalidClientTokenId from the credential lookup,
// AccessDenied for an expired presigned URL), so clients report what they
// would report against AWS. Derived signing keys are cached per secret, date,
// region and service; verifying a request whose key is cached does not
// allocate beyond what unusual input (escaped query strings, a Date header
// instead of X-Amz-Date) requires.
package sigv4

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gatehouse-iam/gatehouse/awserr"
)

// MaxSkew is how far a request's signing time may be from the server's clock,
// in either direction, as AWS allows.
const MaxSkew = 15 * time.Minute

// MaxPresignExpires is the longest X-Amz-Expires AWS accepts: seven days.
const MaxPresignExpires = 7 * 24 * time.Hour

// Credential is what a Lookup returns for an access key: the secret to verify
// the signature with and whatever the caller needs to know about the
// principal that owns the key.
type Credential struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	Principal       any
}

// Lookup finds the credential for an access key ID and the session token the
// request carried (empty for long-term keys). It returns *awserr.Error values
// for client faults: InvalidClientTokenId ("The security token included in
// the request is invalid.") for an unknown key or a token that does not
// belong to it, ExpiredToken for an expired session. Any other error is
// treated by callers as a server fault.
type Lookup func(ctx context.Context, accessKeyID, sessionToken string) (Credential, error)

// Verifier checks SigV4 signatures. Lookup must be set; the other fields are
// optional. A Verifier is safe for concurrent use and must not be copied
// after first use.
type Verifier struct {
	Lookup Lookup
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Regions lists the regions accepted in a credential scope; empty
	// accepts any region (clients sign with their configured region when
	// pointed at a custom endpoint, even for global services such as IAM).
	Regions []string
	// Services lists the signing names accepted in a credential scope, e.g.
	// "iam", "sts"; empty accepts any.
	Services []string

	keys keyCache
}

// Result describes a request whose signature verified.
type Result struct {
	AccessKeyID  string
	Credential   Credential // as returned by Lookup
	Region       string     // from the credential scope
	Service      string     // signing name from the credential scope
	SignedAt     time.Time  // X-Amz-Date (or Date)
	Presigned    bool       // signed in the query string rather than the Authorization header
	SessionToken string     // X-Amz-Security-Token, if any
	// UnsignedPayload is set when the client sent
	// X-Amz-Content-Sha256: UNSIGNED-PAYLOAD: the body is not covered by the
	// signature and callers may refuse such requests.
	UnsignedPayload bool
}

// signedRequest is the authentication information a request carries, before
// any of it is checked against the clock, the scope or a credential.
type signedRequest struct {
	presigned     bool
	credential    string // "AKID/20150830/us-east-1/iam/aws4_request"
	signedHeaders string // canonical: sorted, lower-case
	signature     string
	amzDate       string // ISO 8601 basic format, as used in the string to sign
	at            time.Time
	expires       time.Duration // presigned only; 0 when X-Amz-Expires is absent
	token         string
}

// scratch holds the buffers one verification needs; they are pooled.
type scratch struct {
	params []queryParam
	creq   []byte
	sts    []byte
	mac    macer
}

var scratchPool = sync.Pool{New: func() any {
	return &scratch{creq: make([]byte, 0, 1024), sts: make([]byte, 0, 256)}
}}

// maxPooledBuffer is the largest canonical request buffer kept for reuse; a
// request with unusually large headers does not pin its buffer in the pool.
const maxPooledBuffer = 64 << 10

func (s *scratch) release() {
	clear(s.params) // drop references to the request's strings
	s.params = s.params[:0]
	if cap(s.creq) > maxPooledBuffer {
		s.creq = make([]byte, 0, 1024)
	}
	scratchPool.Put(s)
}

// Verify checks the signature of r, whose complete body is body, and returns
// who signed it. Errors are *awserr.Error values with AWS's codes and
// messages, or whatever Lookup returned; IsMissingAuthentication reports a
// request that carries no signature at all.
func (v *Verifier) Verify(r *http.Request, body []byte) (Result, error) {
	s := scratchPool.Get().(*scratch)
	defer s.release()

	var err error
	s.params, err = parseQuery(r.URL.RawQuery, s.params[:0])
	if err != nil {
		return Result{}, err
	}
	sr, err := parseSignedRequest(r, s.params)
	if err != nil {
		return Result{}, err
	}

	now := time.Now()
	if v.Now != nil {
		now = v.Now()
	}
	if err := checkTime(sr, now); err != nil {
		return Result{}, err
	}

	akid, scope, date, region, service, term, ok := splitCredential(sr.credential)
	if !ok {
		return Result{}, errCredentialParts(sr.credential)
	}
	if err := v.checkScope(date, region, service, term, sr.amzDate); err != nil {
		return Result{}, err
	}

	cred, err := v.Lookup(r.Context(), akid, sr.token)
	if err != nil {
		return Result{}, err
	}
	if cred.SecretAccessKey == "" {
		// Deriving a key from an empty secret would let anyone sign.
		return Result{}, errors.New("sigv4: credential lookup returned no secret for " + akid)
	}

	payload, err := payloadHash(r, body, sr.presigned, s.params)
	if err != nil {
		return Result{}, err
	}

	var want [sha256.Size]byte
	if !decodeSignature(sr.signature, &want) {
		return Result{}, errMismatch()
	}
	key := v.keys.get(keyID{cred.SecretAccessKey, date, region, service})
	sortParams(s.params)
	skip := ""
	if sr.presigned {
		skip = "X-Amz-Signature"
	}
	path := wirePath(r)
	match := s.matches(r, path, service, skip, sr, scope, payload, &key, &want)
	if !match && service != "s3" {
		// botocore and the AWS test suite sign the dot-segment-normalized
		// path; the Go SDK signs it as sent. Accept either.
		if np := normalizePath(path); np != path {
			match = s.matches(r, np, service, skip, sr, scope, payload, &key, &want)
		}
	}
	if !match {
		return Result{}, errMismatch()
	}
	return Result{
		AccessKeyID:     akid,
		Credential:      cred,
		Region:          region,
		Service:         service,
		SignedAt:        sr.at,
		Presigned:       sr.presigned,
		SessionToken:    sr.token,
		UnsignedPayload: payload.given == unsignedPayload,
	}, nil
}

// matches computes the signature of r with canonical URI path and compares
// it with want in constant time.
func (s *scratch) matches(r *http.Request, path, service, skip string, sr signedRequest, scope string,
	payload payload, key, want *[sha256.Size]byte) bool {
	s.creq = appendCanonicalRequest(s.creq[:0], r, path, service, s.params, skip, sr.signedHeaders, payload)
	s.sts = appendStringToSign(s.sts[:0], sr.amzDate, scope, s.creq)
	got := s.mac.sum(key, s.sts)
	return subtle.ConstantTimeCompare(got[:], want[:]) == 1
}

// parseSignedRequest finds the signature in the Authorization header or the
// query string and checks that it is complete.
func parseSignedRequest(r *http.Request, params []queryParam) (signedRequest, error) {
	authz := r.Header[hdrAuthorization]
	alg, inQuery := firstParam(params, "X-Amz-Algorithm")
	switch {
	case len(authz) > 0 && inQuery:
		// AWS refuses a request that is signed both ways.
		return signedRequest{}, errMismatch()
	case len(authz) > 0:
		return parseHeaderSigned(r, authz[0])
	case inQuery:
		return parseQuerySigned(alg, params)
	}
	return signedRequest{}, errMissingAuth()
}

func parseHeaderSigned(r *http.Request, authz string) (signedRequest, error) {
	amzDate := header(r, hdrAmzDate)
	httpDate := ""
	if amzDate == "" {
		httpDate = header(r, hdrDate)
	}
	f, err := parseAuthorization(authz, amzDate != "" || httpDate != "")
	if err != nil {
		return signedRequest{}, err
	}
	sr := signedRequest{
		credential:    f.Credential,
		signedHeaders: canonicalSignedHeaders(f.SignedHeaders),
		signature:     f.Signature,
		token:         header(r, hdrSecurityToken),
	}
	if amzDate != "" {
		sr.amzDate = amzDate
		sr.at, err = parseAmzDate(amzDate)
	} else {
		sr.at, err = http.ParseTime(httpDate)
		sr.at = sr.at.UTC()
		sr.amzDate = sr.at.Format(isoBasic)
		if err != nil {
			err = errBadDate(httpDate)
		}
	}
	if err != nil {
		return signedRequest{}, err
	}
	if !signsHeader(sr.signedHeaders, "host") {
		return signedRequest{}, errHostNotSigned()
	}
	return sr, nil
}

// The headers Verify reads, by their canonical names (net/http stores
// received headers so).
const (
	hdrAuthorization = "Authorization"
	hdrAmzDate       = "X-Amz-Date"
	hdrDate          = "Date"
	hdrSecurityToken = "X-Amz-Security-Token"
	hdrContentSHA256 = "X-Amz-Content-Sha256"
)

// header returns the first value of the header with canonical name key, as
// Header.Get does, without canonicalizing a name that already is.
func header(r *http.Request, key string) string {
	if v := r.Header[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// authFields are the parameters of an Authorization header.
type authFields struct {
	Credential, SignedHeaders, Signature string
}

// parseAuthorization parses "AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…,
// Signature=…". hasDate tells whether the request carries an X-Amz-Date or
// Date header, whose absence AWS reports together with missing parameters.
func parseAuthorization(h string, hasDate bool) (authFields, error) {
	h = strings.Trim(h, " \t")
	alg, rest, _ := strings.Cut(h, " ")
	if alg != algorithm {
		return authFields{}, errUnsupportedAlgorithm(alg)
	}
	var f authFields
	var hasCred, hasSH, hasSig bool
	for rest != "" {
		var kv string
		kv, rest, _ = strings.Cut(rest, ",")
		kv = strings.Trim(kv, " \t")
		if kv == "" {
			continue
		}
		k, val, ok := strings.Cut(kv, "=")
		if !ok {
			return authFields{}, errIncomplete("'" + kv + "' not a valid key=value pair (missing equal-sign) in Authorization header: '" + h + "'")
		}
		switch k {
		case "Credential":
			f.Credential, hasCred = val, true
		case "SignedHeaders":
			f.SignedHeaders, hasSH = val, true
		case "Signature":
			f.Signature, hasSig = val, true
		}
	}
	var missing []string
	if !hasCred {
		missing = append(missing, "Authorization header requires 'Credential' parameter.")
	}
	if !hasSig {
		missing = append(missing, "Authorization header requires 'Signature' parameter.")
	}
	if !hasSH {
		missing = append(missing, "Authorization header requires 'SignedHeaders' parameter.")
	}
	if !hasDate {
		missing = append(missing, "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
	}
	if len(missing) > 0 {
		return authFields{}, errIncomplete(strings.Join(missing, " ") + " Authorization=" + alg)
	}
	return f, nil
}

func parseQuerySigned(alg string, params []queryParam) (signedRequest, error) {
	if alg != algorithm {
		return signedRequest{}, errMissingAuth()
	}
	cred, hasCred := firstParam(params, "X-Amz-Credential")
	sig, hasSig := firstParam(params, "X-Amz-Signature")
	sh, hasSH := firstParam(params, "X-Amz-SignedHeaders")
	date, hasDate := firstParam(params, "X-Amz-Date")
	if !hasCred || !hasSig || !hasSH || !hasDate {
		var missing []string
		if !hasCred {
			missing = append(missing, "AWS query-string parameters must include 'X-Amz-Credential'.")
		}
		if !hasSig {
			missing = append(missing, "AWS query-string parameters must include 'X-Amz-Signature'.")
		}
		if !hasSH {
			missing = append(missing, "AWS query-string parameters must include 'X-Amz-SignedHeaders'.")
		}
		if !hasDate {
			missing = append(missing, "AWS query-string parameters must include 'X-Amz-Date'.")
		}
		return signedRequest{}, errIncomplete(strings.Join(missing, " ") + " Re-examine the query-string parameters.")
	}
	at, err := parseAmzDate(date)
	if err != nil {
		return signedRequest{}, err
	}
	sr := signedRequest{
		presigned:     true,
		credential:    cred,
		signedHeaders: canonicalSignedHeaders(sh),
		signature:     sig,
		amzDate:       date,
		at:            at,
	}
	sr.token, _ = firstParam(params, "X-Amz-Security-Token")
	if exp, ok := firstParam(params, "X-Amz-Expires"); ok {
		n, err := strconv.ParseInt(exp, 10, 64)
		switch {
		case err != nil:
			return signedRequest{}, awserr.New("AuthorizationQueryParametersError", "X-Amz-Expires should be a number")
		case n < 1:
			return signedRequest{}, awserr.New("AuthorizationQueryParametersError", "X-Amz-Expires must be a positive number of seconds")
		case n > int64(MaxPresignExpires/time.Second):
			return signedRequest{}, awserr.New("AuthorizationQueryParametersError", "X-Amz-Expires must be less than a week (in seconds) that is 604800")
		}
		sr.expires = time.Duration(n) * time.Second
	}
	if !signsHeader(sr.signedHeaders, "host") {
		return signedRequest{}, errHostNotSigned()
	}
	return sr, nil
}

// parseAmzDate parses an ISO 8601 basic-format timestamp, 20150830T123600Z.
func parseAmzDate(s string) (time.Time, error) {
	if len(s) != len(isoBasic) || s[8] != 'T' || s[15] != 'Z' {
		return time.Time{}, errBadDate(s)
	}
	num := func(i, n int) int {
		v := 0
		for _, c := range []byte(s[i : i+n]) {
			if c < '0' || c > '9' {
				return -1
			}
			v = v*10 + int(c-'0')
		}
		return v
	}
	y, mo, d, h, mi, sec := num(0, 4), num(4, 2), num(6, 2), num(9, 2), num(11, 2), num(13, 2)
	t := time.Date(y, time.Month(mo), d, h, mi, sec, 0, time.UTC)
	// time.Date normalizes out-of-range fields (month 13, second 61); a
	// timestamp that does not round-trip is not a valid date.
	if y < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || sec < 0 ||
		t.Year() != y || t.Month() != time.Month(mo) || t.Day() != d || t.Hour() != h || t.Minute() != mi || t.Second() != sec {
		return time.Time{}, errBadDate(s)
	}
	return t, nil
}

// splitCredential splits "AKID/date/region/service/term" into its five
// parts; scope is everything after the access key ID.
func splitCredential(c string) (akid, scope, date, region, service, term string, ok bool) {
	akid, scope, ok1 := strings.Cut(c, "/")
	date, rest, ok2 := strings.Cut(scope, "/")
	region, rest, ok3 := strings.Cut(rest, "/")
	service, term, ok4 := strings.Cut(rest, "/")
	ok = ok1 && ok2 && ok3 && ok4 && !strings.Contains(term, "/")
	return
}

// checkTime applies the ±MaxSkew window, or for a presigned request with
// X-Amz-Expires, its validity period.
func checkTime(sr signedRequest, now time.Time) error {
	if sr.presigned && sr.expires > 0 {
		if now.After(sr.at.Add(sr.expires)) {
			return errPresignExpired()
		}
		if sr.at.After(now.Add(MaxSkew)) {
			return errSkew(sr.at, now)
		}
		return nil
	}
	if d := now.Sub(sr.at); d > MaxSkew || d < -MaxSkew {
		return errSkew(sr.at, now)
	}
	return nil
}

// checkScope checks the credential scope date/region/service/aws4_request
// against the request date and the accepted regions and services, reporting
// every fault in one message as AWS does.
func (v *Verifier) checkScope(date, region, service, term, amzDate string) error {
	var msgs []string
	if region == "" || len(v.Regions) > 0 && !slices.Contains(v.Regions, region) {
		msgs = append(msgs, "Credential should be scoped to a valid region, not '"+region+"'.")
	}
	if service == "" || len(v.Services) > 0 && !slices.Contains(v.Services, service) {
		expected := service
		if len(v.Services) > 0 {
			expected = v.Services[0]
		}
		msgs = append(msgs, "Credential should be scoped to correct service: '"+expected+"'.")
	}
	if term != scopeTerminator {
		msgs = append(msgs, "Credential should be scoped with a valid terminator: 'aws4_request', not '"+term+"'.")
	}
	if date != amzDate[:8] {
		msgs = append(msgs, "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '"+
			date+"' != '"+amzDate[:8]+"', from '"+amzDate+"'.")
	}
	if len(msgs) > 0 {
		return errSignatureDoesNotMatch(strings.Join(msgs, " "))
	}
	return nil
}

// payload is the payload hash of the canonical request: the value the client
// declared in X-Amz-Content-Sha256, or the SHA-256 of the body.
type payload struct {
	given string
	sum   [sha256.Size]byte
}

func (p payload) append(b []byte) []byte {
	if p.given != "" {
		return append(b, p.given...)
	}
	return hex.AppendEncode(b, p.sum[:])
}

// payloadHash returns the payload hash to sign with. A declared hash must
// match the body; UNSIGNED-PAYLOAD is taken as declared.
func payloadHash(r *http.Request, body []byte, presigned bool, params []queryParam) (payload, error) {
	given := header(r, hdrContentSHA256)
	if given == "" && presigned {
		given, _ = firstParam(params, "X-Amz-Content-Sha256")
	}
	if given == unsignedPayload {
		return payload{given: given}, nil
	}
	p := payload{sum: sha256.Sum256(body)}
	if given == "" {
		return p, nil
	}
	var declared [sha256.Size]byte
	if !decodeSignature(given, &declared) {
		return payload{}, awserr.New("InvalidArgument",
			"x-amz-content-sha256 must be UNSIGNED-PAYLOAD or a valid sha256 value.")
	}
	if declared != p.sum {
		return payload{}, awserr.New("XAmzContentSHA256Mismatch",
			"The provided 'x-amz-content-sha256' header does not match what was computed.")
	}
	p.given = given
	return p, nil
}

// decodeSignature decodes 64 hex digits into out.
func decodeSignature(s string, out *[sha256.Size]byte) bool {
	if len(s) != 2*sha256.Size {
		return false
	}
	for i := range out {
		hi, ok1 := unhex(s[2*i])
		lo, ok2 := unhex(s[2*i+1])
		if !ok1 || !ok2 {
			return false
		}
		out[i] = hi<<4 | lo
	}
	return true
}

// appendCanonicalRequest writes the canonical request. sorted holds the
// query parameters in canonical order; the one named skip is left out.
func appendCanonicalRequest(b []byte, r *http.Request, path, service string, sorted []queryParam, skip string,
	signedHeaders string, p payload) []byte {
	method := r.Method
	if method == "" {
		method = http.MethodGet
	}
	b = append(b, method...)
	b = append(b, '\n')
	b = appendCanonicalURI(b, path, service)
	b = append(b, '\n')
	b = appendCanonicalQuery(b, sorted, skip)
	b = append(b, '\n')
	b = appendCanonicalHeaders(b, r, signedHeaders)
	b = append(b, '\n')
	b = append(b, signedHeaders...)
	b = append(b, '\n')
	return p.append(b)
}

// appendStringToSign writes "AWS4-HMAC-SHA256\n<date>\n<scope>\n<hex sha256(creq)>".
func appendStringToSign(b []byte, amzDate, scope string, creq []byte) []byte {
	sum := sha256.Sum256(creq)
	b = append(b, algorithm...)
	b = append(b, '\n')
	b = append(b, amzDate...)
	b = append(b, '\n')
	b = append(b, scope...)
	b = append(b, '\n')
	return hex.AppendEncode(b, sum[:])
}
