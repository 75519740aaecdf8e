// Package arn parses, builds and matches Amazon Resource Names.
//
// An ARN has six colon-separated parts: arn:partition:service:region:account:resource.
// The resource part is everything after the fifth colon and may itself contain
// colons and slashes. Matching compares patterns segment by segment, as AWS does
// for the Resource element and the Arn* condition operators: '*' and '?' match
// within one segment only, except in the resource part, which is one segment in
// which '*' also crosses '/' and ':'.
package arn

import (
	"errors"
	"strings"
)

// ARN is a parsed Amazon Resource Name.
type ARN struct {
	Partition string // "aws", "aws-cn", "aws-us-gov", …
	Service   string // "iam", "s3", "sts", …
	Region    string // empty for global services
	Account   string // 12-digit account id, "aws" for AWS managed policies, or empty
	Resource  string // the resource part, e.g. "user/division/alice" or "bucket/key"
}

// ErrMalformed is returned by Parse for a string that is not an ARN.
var ErrMalformed = errors.New("arn: malformed ARN")

// Parse splits s into its six parts. It checks structure only (the "arn" prefix,
// six parts, a non-empty partition and service); it does not check that the
// service or region exist.
func Parse(s string) (ARN, error) {
	var parts [5]string
	rest := s
	for i := 0; i < 5; i++ {
		j := strings.IndexByte(rest, ':')
		if j < 0 {
			return ARN{}, ErrMalformed
		}
		parts[i] = rest[:j]
		rest = rest[j+1:]
	}
	if parts[0] != "arn" || parts[1] == "" || parts[2] == "" {
		return ARN{}, ErrMalformed
	}
	return ARN{Partition: parts[1], Service: parts[2], Region: parts[3], Account: parts[4], Resource: rest}, nil
}

// String returns the ARN in its textual form.
func (a ARN) String() string {
	return "arn:" + a.Partition + ":" + a.Service + ":" + a.Region + ":" + a.Account + ":" + a.Resource
}

// AccountOf returns the account part of s if s is an ARN, or "".
func AccountOf(s string) string { return segment(s, 4) }

// IsAccountID reports whether s is an AWS account ID: twelve digits.
func IsAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// ServiceOf returns the service part of s if s is an ARN, or "".
func ServiceOf(s string) string { return segment(s, 2) }

// segment returns the n-th colon-separated part (n < 5) of an ARN without
// parsing the rest, or "" when s is not an ARN.
func segment(s string, n int) string {
	if !strings.HasPrefix(s, "arn:") {
		return ""
	}
	start, part := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] != ':' {
			continue
		}
		if part == n {
			seg := s[start:i]
			if !hasSixParts(s) {
				return ""
			}
			return seg
		}
		part++
		start = i + 1
	}
	return ""
}
