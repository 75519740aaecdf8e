package protocol

import (
	"errors"

	"github.com/gatehouse-iam/gatehouse/awserr"
	"github.com/gatehouse-iam/gatehouse/protocol/model"
)

// FieldError is an AWS error whose JSON body carries members beyond the
// message: Organizations' "Reason", Access Analyzer's "reason" and
// "fieldList", and the like. The query protocol has no place for them and
// renders only the wrapped error.
type FieldError struct {
	Err    *awserr.Error
	Fields map[string]any // extra body members, encoded as given
}

func (e *FieldError) Error() string { return e.Err.Error() }

// Unwrap returns the AWS error, so awserr.As finds it.
func (e *FieldError) Unwrap() error { return e.Err }

// WithFields returns err with extra body members.
func WithFields(err *awserr.Error, fields map[string]any) *FieldError {
	return &FieldError{Err: err, Fields: fields}
}

// ErrorFields returns the extra body members of err, or nil.
func ErrorFields(err error) map[string]any {
	var fe *FieldError
	if errors.As(err, &fe) {
		return fe.Fields
	}
	return nil
}

// AWSError returns the AWS error in err's chain; anything else is a server
// fault, reported as code (ServiceFailure for IAM, InternalFailure
// elsewhere) without leaking its text.
func AWSError(err error, code string) *awserr.Error {
	if e := awserr.As(err); e != nil {
		return e
	}
	var u interface{ ServiceUnavailable() bool }
	if errors.As(err, &u) && u.ServiceUnavailable() {
		e := awserr.New("ServiceUnavailable", "The service is unavailable. Please try again later.")
		e.Status, e.Receiver = 503, true
		return e
	}
	e := awserr.New(code, "An internal error occurred.")
	e.Status, e.Receiver = 500, true
	return e
}

// ModelError returns e as the service model describes it on the wire:
// when e.Code names one of svc's exception shapes (by shape name or by wire
// code), the code becomes the wire code (IAM's "NoSuchEntityException" is
// sent as "NoSuchEntity") and, when e has awserr's default status (400),
// the status becomes the one the model declares — so a handler may write
// awserr.New("ResourceNotFoundException", …) and Access Analyzer's client
// sees 404, or awserr.New("ReportInProgress", …) and IAM's sees 404.
func ModelError(svc *model.Service, e *awserr.Error) *awserr.Error {
	s := svc.Exception(e.Code)
	if s == nil {
		return e
	}
	c := *e
	c.Code = s.ErrorCode()
	if s.Error != nil && s.Error.Status != 0 && e.Status == 400 && s.Error.Status != 400 {
		c.Status, c.Receiver = s.Error.Status, s.Error.Status >= 500
	}
	return &c
}
