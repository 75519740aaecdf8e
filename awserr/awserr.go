// Package awserr defines the error value every Gatehouse service returns to a
// client: an AWS error code, a message, the HTTP status AWS uses for that code,
// and whether the fault is the sender's or the service's.
//
// Wire encoders (query XML, JSON 1.1, rest-json) render an *Error in the shape
// their protocol expects; anything that is not an *Error is a server fault and
// is rendered as ServiceFailure / InternalFailure without leaking its text.
package awserr

import (
	"errors"
	"fmt"
	"net/http"
)

// Error is an AWS-style error.
type Error struct {
	Code    string // e.g. "NoSuchEntity"
	Message string // human-readable, AWS wording where AWS's is known
	Status  int    // HTTP status
	// Receiver marks service-side faults (AWS's <Type>Receiver</Type>);
	// the zero value is a Sender fault.
	Receiver bool
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// New returns an error with the given code and message and the HTTP status AWS
// uses for that code (400 when the code is not one this package knows).
func New(code, message string) *Error {
	st, ok := statusByCode[code]
	if !ok {
		st = http.StatusBadRequest
	}
	return &Error{Code: code, Message: message, Status: st, Receiver: st >= 500}
}

// Newf is New with a formatted message.
func Newf(code, format string, args ...any) *Error {
	return New(code, fmt.Sprintf(format, args...))
}

// As returns the *Error in err's chain, or nil.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}

// statusByCode is the HTTP status AWS returns for each error code, as observed
// with real IAM, STS, Organizations and Access Analyzer endpoints.
var statusByCode = map[string]int{
	// Common to all query services.
	"AccessDenied":                403,
	"AccessDeniedException":       403,
	"IncompleteSignature":         400,
	"InvalidAction":               400,
	"InvalidClientTokenId":        403,
	"InvalidParameterCombination": 400,
	"InvalidParameterValue":       400,
	"InvalidQueryParameter":       400,
	"MalformedQueryString":        400,
	"MissingAction":               400,
	"MissingAuthenticationToken":  403,
	"MissingParameter":            400,
	"OptInRequired":               403,
	"RequestExpired":              400,
	"ServiceUnavailable":          503,
	"Throttling":                  400,
	"ValidationError":             400,
	"SignatureDoesNotMatch":       403,
	"ExpiredToken":                400,
	"InternalFailure":             500,
	"NotImplemented":              501,
	"UnrecognizedClientException": 403,
	"UnknownOperationException":   400,
	"SerializationException":      400,
	"RequestEntityTooLarge":       413,

	// IAM.
	"NoSuchEntity":                                 404,
	"EntityAlreadyExists":                          409,
	"LimitExceeded":                                409,
	"DeleteConflict":                               409,
	"ConcurrentModification":                       409,
	"EntityTemporarilyUnmodifiable":                409,
	"MalformedPolicyDocument":                      400,
	"MalformedCertificate":                         400,
	"InvalidInput":                                 400,
	"UnmodifiableEntity":                           400,
	"PolicyNotAttachable":                          400,
	"PolicyEvaluation":                             500,
	"PasswordPolicyViolation":                      400,
	"InvalidAuthenticationCode":                    403,
	"InvalidCertificate":                           400,
	"InvalidPublicKey":                             400,
	"InvalidUserType":                              400,
	"KeyPairMismatch":                              400,
	"DuplicateCertificate":                         409,
	"DuplicateSSHPublicKey":                        400,
	"UnrecognizedPublicKeyEncoding":                400,
	"ReportNotPresent":                             410,
	"ReportExpired":                                410,
	"ReportInProgress":                             404,
	"ReportGenerationLimitExceeded":                409,
	"ServiceFailure":                               500,
	"NotSupportedService":                          404,
	"OpenIdIdpCommunicationError":                  400,
	"UnmodifiableEntityException":                  400,
	"FeatureDisabled":                              404,
	"FeatureEnabled":                               409,
	"CallerIsNotManagementAccount":                 400,
	"OrganizationNotFound":                         400,
	"OrganizationNotInAllFeaturesMode":             400,
	"AccountNotManagementOrDelegatedAdministrator": 400,

	// STS.
	"PackedPolicyTooLarge":                 400,
	"RegionDisabledException":              403,
	"IDPRejectedClaim":                     403,
	"IDPCommunicationError":                400,
	"InvalidIdentityToken":                 400,
	"ExpiredTokenException":                400,
	"InvalidAuthorizationMessageException": 400,
	"MalformedPolicyDocumentException":     400,
	"PackedPolicyTooLargeException":        400,
}
