package sigv4

import (
	"strings"
	"time"

	"github.com/gatehouse-iam/gatehouse/awserr"
)

// The errors below carry the codes and messages AWS's query services (IAM,
// STS) return for the same faults, so clients and their users see what they
// would see against AWS.

const msgSignatureMismatch = "The request signature we calculated does not match the signature you provided. " +
	"Check your AWS Secret Access Key and signing method. Consult the service documentation for details."

// errMissingAuth is returned when a request carries neither an Authorization
// header nor presigned query parameters. Callers that serve unsigned
// operations (AssumeRoleWithWebIdentity, AssumeRoleWithSAML) test for it with
// IsMissingAuthentication.
func errMissingAuth() error {
	return awserr.New("MissingAuthenticationToken", "Request is missing Authentication Token")
}

// IsMissingAuthentication reports whether err is the error Verify returns for
// a request that is not signed at all.
func IsMissingAuthentication(err error) bool {
	e := awserr.As(err)
	return e != nil && e.Code == "MissingAuthenticationToken"
}

func errMismatch() error { return awserr.New("SignatureDoesNotMatch", msgSignatureMismatch) }

func errSignatureDoesNotMatch(msg string) error { return awserr.New("SignatureDoesNotMatch", msg) }

func errIncomplete(msg string) error { return awserr.New("IncompleteSignature", msg) }

func errUnsupportedAlgorithm(alg string) error {
	return errIncomplete("Unsupported AWS 'algorithm': '" + alg + "'.")
}

func errBadDate(got string) error {
	return errIncomplete("Date must be in ISO-8601 'basic format'. Got '" + got + "'. See http://en.wikipedia.org/wiki/ISO_8601")
}

func errHostNotSigned() error {
	return errSignatureDoesNotMatch("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
}

func errCredentialParts(cred string) error {
	return errIncomplete("Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '" + cred + "'")
}

// errSkew is the SignatureDoesNotMatch AWS returns for a timestamp outside the
// allowed window, e.g. "Signature expired: 20240101T000000Z is now earlier
// than 20240101T001500Z (20240101T003000Z - 15 min.)".
func errSkew(signed, now time.Time) error {
	signed, now = signed.UTC(), now.UTC()
	var b strings.Builder
	if signed.Before(now) {
		b.WriteString("Signature expired: ")
		b.WriteString(signed.Format(isoBasic))
		b.WriteString(" is now earlier than ")
		b.WriteString(now.Add(-MaxSkew).Format(isoBasic))
		b.WriteString(" (")
		b.WriteString(now.Format(isoBasic))
		b.WriteString(" - 15 min.)")
	} else {
		b.WriteString("Signature not yet current: ")
		b.WriteString(signed.Format(isoBasic))
		b.WriteString(" is still later than ")
		b.WriteString(now.Add(MaxSkew).Format(isoBasic))
		b.WriteString(" (")
		b.WriteString(now.Format(isoBasic))
		b.WriteString(" + 15 min.)")
	}
	return errSignatureDoesNotMatch(b.String())
}

func errPresignExpired() error { return awserr.New("AccessDenied", "Request has expired.") }

func errMalformedQuery(msg string) error { return awserr.New("MalformedQueryString", msg) }
