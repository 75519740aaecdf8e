package sigv4

import (
	"encoding/hex"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Sign signs r in the Authorization-header form with cred for region and
// service at time t; body is r's complete body. It sets X-Amz-Date (and
// X-Amz-Security-Token when cred has a session token) and signs Host,
// Content-Type and every X-Amz-* header. The payload hash is the SHA-256 of
// body unless r declares X-Amz-Content-Sha256 (UNSIGNED-PAYLOAD, say). It
// fails on a malformed query string or a declared hash that body does not
// match.
func Sign(r *http.Request, body []byte, cred Credential, region, service string, t time.Time) error {
	t = t.UTC()
	amzDate := t.Format(isoBasic)
	if r.Header == nil {
		r.Header = http.Header{}
	}
	r.Header.Del("Authorization")
	r.Header.Set("X-Amz-Date", amzDate)
	if cred.SessionToken != "" {
		r.Header.Set("X-Amz-Security-Token", cred.SessionToken)
	}
	names := []string{"host"}
	for k := range r.Header {
		lk := strings.ToLower(k)
		if lk == "content-type" || strings.HasPrefix(lk, "x-amz-") {
			names = append(names, lk)
		}
	}
	slices.Sort(names)
	names = slices.Compact(names)
	signedHeaders := strings.Join(names, ";")

	params, err := parseQuery(r.URL.RawQuery, nil)
	if err != nil {
		return err
	}
	sortParams(params)
	p, err := payloadHash(r, body, false, nil)
	if err != nil {
		return err
	}
	scope := t.Format("20060102") + "/" + region + "/" + service + "/" + scopeTerminator
	sig := signature(r, wirePath(r), service, params, "", signedHeaders, p, amzDate, scope, cred.SecretAccessKey)
	r.Header.Set("Authorization", algorithm+" Credential="+cred.AccessKeyID+"/"+scope+
		", SignedHeaders="+signedHeaders+", Signature="+sig)
	return nil
}

// Presign signs r in the query-string form, valid for expires (1 second to 7
// days) from t, signing only the Host header. It replaces r.URL.RawQuery with
// the canonical query string followed by X-Amz-Signature. body is r's
// complete body (nil for GET).
func Presign(r *http.Request, body []byte, cred Credential, region, service string, t time.Time, expires time.Duration) error {
	if expires < time.Second || expires > MaxPresignExpires {
		return errors.New("sigv4: presign expiry must be between 1 second and 7 days")
	}
	t = t.UTC()
	amzDate := t.Format(isoBasic)
	scope := t.Format("20060102") + "/" + region + "/" + service + "/" + scopeTerminator
	params, err := parseQuery(r.URL.RawQuery, nil)
	if err != nil {
		return err
	}
	params = slices.DeleteFunc(params, func(p queryParam) bool {
		switch p.Key {
		case "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires",
			"X-Amz-SignedHeaders", "X-Amz-Security-Token", "X-Amz-Signature":
			return true
		}
		return false
	})
	add := func(k, v string) {
		params = append(params, queryParam{Key: k, Value: v, encKey: escape(k, false), encValue: escape(v, false)})
	}
	add("X-Amz-Algorithm", algorithm)
	add("X-Amz-Credential", cred.AccessKeyID+"/"+scope)
	add("X-Amz-Date", amzDate)
	add("X-Amz-Expires", strconv.FormatInt(int64(expires/time.Second), 10))
	add("X-Amz-SignedHeaders", "host")
	if cred.SessionToken != "" {
		add("X-Amz-Security-Token", cred.SessionToken)
	}
	sortParams(params)
	p, err := payloadHash(r, body, true, params)
	if err != nil {
		return err
	}
	sig := signature(r, wirePath(r), service, params, "", "host", p, amzDate, scope, cred.SecretAccessKey)
	r.URL.RawQuery = string(appendCanonicalQuery(nil, params, "")) + "&X-Amz-Signature=" + sig
	return nil
}

// signingKeys caches the keys Sign and Presign derive: a client signs many
// requests with one key a day.
var signingKeys keyCache

// signature returns the hex signature of r's canonical request.
func signature(r *http.Request, path, service string, sorted []queryParam, skip, signedHeaders string, p payload,
	amzDate, scope, secret string) string {
	creq := appendCanonicalRequest(nil, r, path, service, sorted, skip, signedHeaders, p)
	sts := appendStringToSign(nil, amzDate, scope, creq)
	date, rest, _ := strings.Cut(scope, "/")
	region, rest, _ := strings.Cut(rest, "/")
	svc, _, _ := strings.Cut(rest, "/")
	key := signingKeys.get(keyID{secret, date, region, svc})
	var m macer
	return hex.EncodeToString(m.sum(&key, sts)[:])
}
