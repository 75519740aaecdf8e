package iam

import (
	"fmt"
	"unicode"

	"github.com/gatehouse-iam/gatehouse/awserr"
	"github.com/gatehouse-iam/gatehouse/policy"
)

// checkDocument parses a policy document of the given kind and maps a
// rejection to MalformedPolicyDocument with AWS's message.
func checkDocument(doc string, kind policy.Kind) error {
	if _, err := policy.Parse(doc, kind); err != nil {
		if pe, ok := err.(*policy.Error); ok {
			return awserr.New("MalformedPolicyDocument", pe.Message)
		}
		return awserr.New("MalformedPolicyDocument", "Syntax errors in policy.")
	}
	return nil
}

// policySize is the size IAM counts against policy quotas: characters other
// than white space.
func policySize(doc string) int {
	n := 0
	for _, r := range doc {
		if !unicode.IsSpace(r) {
			n++
		}
	}
	return n
}

// inlineSizeError is IAM's message for an inline policy aggregate over quota.
func inlineSizeError(limit int, noun, name string) error {
	return awserr.New("LimitExceeded", fmt.Sprintf("Maximum policy size of %d bytes exceeded for %s %s", limit, noun, name))
}
