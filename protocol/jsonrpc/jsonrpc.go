// Package jsonrpc is AWS's JSON 1.1 protocol as Organizations and CloudTrail
// speak it: POST /, the operation named by X-Amz-Target
// ("<targetPrefix>.<Operation>"), a JSON body typed by the input shape;
// responses are JSON typed by the output shape (timestamps as epoch
// seconds), errors are {"__type": code, "Message": text} with the error's
// HTTP status.
package jsonrpc

import (
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/gatehouse-iam/gatehouse/awserr"
	"github.com/gatehouse-iam/gatehouse/protocol"
	"github.com/gatehouse-iam/gatehouse/protocol/jsonbody"
	"github.com/gatehouse-iam/gatehouse/protocol/model"
	"github.com/gatehouse-iam/gatehouse/protocol/validate"
)

// ContentType is the media type of JSON 1.1 requests and responses.
const ContentType = "application/x-amz-json-1.1"

// MaxBodyBytes bounds the request body Decode reads.
const MaxBodyBytes = 2 << 20

var _ protocol.Codec = (*Codec)(nil)

// Codec decodes requests and encodes responses for one JSON 1.1 service.
// It implements protocol.Codec.
type Codec struct {
	Service *model.Service
	// Invalid turns input-validation failures into the service's error.
	Invalid func([]validate.Violation) error
}

// New returns the codec for svc, with the validation error the service
// uses: InvalidInputException with a Reason for Organizations, AWS's
// generic ValidationException ("1 validation error detected: …") otherwise.
func New(svc *model.Service) *Codec {
	c := &Codec{Service: svc, Invalid: ValidationException}
	if svc.Name == "organizations" {
		c.Invalid = OrganizationsInvalidInput
	}
	return c
}

// Decode reads r's body (consuming it) and decodes it with DecodeBody.
func (c *Codec) Decode(r *http.Request) (*protocol.Request, error) {
	var body []byte
	if r.Body != nil {
		b, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
		if err != nil {
			return nil, awserr.New("SerializationException", "The request body could not be read.")
		}
		if len(b) > MaxBodyBytes {
			return nil, awserr.New("RequestEntityTooLarge", "Request body is too large.")
		}
		body = b
	}
	return c.DecodeBody(r.Header.Get("X-Amz-Target"), body)
}

// DecodeBody finds the operation named by target (X-Amz-Target), decodes
// body against its input shape and validates it. Errors: UnknownOperationException,
// SerializationException (not JSON, or a value of the wrong type), and the
// codec's validation error.
func (c *Codec) DecodeBody(target string, body []byte) (*protocol.Request, error) {
	// Operation names have no dots; CloudTrail's prefix has several, and
	// the Go SDK sends only its last segment ("CloudTrail_20131101.AddTags")
	// where botocore sends it whole.
	i := strings.LastIndexByte(target, '.')
	var op *model.Operation
	if i > 0 {
		prefix, tp := target[:i], c.Service.TargetPrefix
		if prefix == tp || prefix == tp[strings.LastIndexByte(tp, '.')+1:] {
			op = c.Service.Operations[target[i+1:]]
		}
	}
	if op == nil {
		return nil, awserr.New("UnknownOperationException", "")
	}
	params, err := jsonbody.Decode(op.Input, body)
	if err != nil {
		return nil, awserr.New("SerializationException", err.Error())
	}
	if vs := validate.Input(op.Input, params); len(vs) > 0 {
		return nil, c.Invalid(vs)
	}
	return &protocol.Request{Operation: op, Params: params}, nil
}

// ValidationException is AWS's generic answer to input that breaks the
// model's constraints.
func ValidationException(vs []validate.Violation) error {
	return awserr.New("ValidationException", validate.Message(vs))
}

// organizationsReasons maps a violation to Organizations'
// InvalidInputException Reason and message (from the API reference).
var organizationsReasons = map[validate.Kind][2]string{
	validate.Required:  {"INPUT_REQUIRED", "You must include a value for all required parameters."},
	validate.Enum:      {"INVALID_ENUM", "You specified an invalid value."},
	validate.Pattern:   {"INVALID_PATTERN", "You provided a value that doesn't match the required pattern."},
	validate.MaxLength: {"MAX_LENGTH_EXCEEDED", "You provided a string parameter that is longer than allowed."},
	validate.MinLength: {"MIN_LENGTH_EXCEEDED", "You provided a string parameter that is shorter than allowed."},
	validate.MaxValue:  {"MAX_VALUE_EXCEEDED", "You provided a numeric parameter that has a larger value than allowed."},
	validate.MinValue:  {"MIN_VALUE_EXCEEDED", "You provided a numeric parameter that has a smaller value than allowed."},
}

// OrganizationsInvalidInput is Organizations' answer to input that breaks
// the model's constraints: InvalidInputException whose Reason names the
// first violation's kind.
func OrganizationsInvalidInput(vs []validate.Violation) error {
	r, ok := organizationsReasons[vs[0].Kind]
	if !ok {
		r = [2]string{"INVALID_INPUT", validate.Message(vs)}
	}
	return protocol.WithFields(awserr.New("InvalidInputException", r[1]), map[string]any{"Reason": r[0]})
}

// WriteResponse writes op's success response: result (see protocol.Field)
// encoded as op's output shape, "{}" for operations without output. A
// result that does not fit the shape is answered with InternalFailure.
func (c *Codec) WriteResponse(w http.ResponseWriter, op *model.Operation, result any, requestID string) {
	body, err := jsonbody.Encode(op.Output, result)
	if err != nil {
		c.WriteError(w, err, requestID)
		return
	}
	write(w, http.StatusOK, requestID, body)
}

// WriteError writes err as {"__type": code, "Message": text, …extra
// fields} with the error's status (or, for a default 400, the one the
// service model declares for that exception); errors that are not AWS errors become
// InternalFailure without their text.
func (c *Codec) WriteError(w http.ResponseWriter, err error, requestID string) {
	e := protocol.ModelError(c.Service, protocol.AWSError(err, "InternalFailure"))
	body := Error(e, protocol.ErrorFields(err))
	write(w, e.Status, requestID, body)
}

// Error renders the JSON 1.1 error body.
func Error(e *awserr.Error, fields map[string]any) []byte {
	return jsonbody.ErrorBody(e, "__type", "Message", fields)
}

func write(w http.ResponseWriter, status int, requestID string, body []byte) {
	h := w.Header()
	h.Set("Content-Type", ContentType)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("x-amzn-RequestId", requestID)
	w.WriteHeader(status)
	w.Write(body)
}
