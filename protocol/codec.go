package protocol

import (
	"net/http"

	"github.com/gatehouse-iam/gatehouse/protocol/model"
)

// Request is a decoded request: the operation it names and its input,
// validated against the operation's input shape.
type Request struct {
	Operation *model.Operation
	Params    Params
}

// Codec is one service's wire protocol as the server uses it; query.Codec,
// jsonrpc.Codec and restjson.Codec implement it, and codec.For picks the
// right one for a service.
type Codec interface {
	// Decode reads and decodes r (consuming its body). Its errors are AWS
	// errors for WriteError, worded as the service words them.
	Decode(r *http.Request) (*Request, error)
	// WriteResponse writes op's success response; result follows op's
	// output shape (see Field).
	WriteResponse(w http.ResponseWriter, op *model.Operation, result any, requestID string)
	// WriteError writes err in the protocol's error shape.
	WriteError(w http.ResponseWriter, err error, requestID string)
}
