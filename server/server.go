// Package server is Gatehouse's HTTP front: it decodes the AWS wire
// protocols, authenticates requests with SigV4, authorizes them with the
// policy engine against the in-memory snapshot, and routes them to the
// services. Gatehouse-native endpoints live under /_gatehouse/.
package server

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/gatehouse-iam/gatehouse/authz"
	"github.com/gatehouse-iam/gatehouse/awserr"
	"github.com/gatehouse-iam/gatehouse/iam"
	"github.com/gatehouse-iam/gatehouse/protocol/model"
	"github.com/gatehouse-iam/gatehouse/protocol/query"
	"github.com/gatehouse-iam/gatehouse/sigv4"
)

// Config wires the server to its services.
type Config struct {
	IAM *iam.Service
	// Reset, when set, is called by POST /_gatehouse/reset (ephemeral mode).
	Reset  func(ctx context.Context) error
	Logger *slog.Logger
	Now    func() time.Time
}

// Server handles every request of one Gatehouse node.
type Server struct {
	iam      *iam.Service
	iamModel *model.Service
	verifier *sigv4.Verifier
	reset    func(ctx context.Context) error
	log      *slog.Logger
	now      func() time.Time
}

// New builds a server.
func New(cfg Config) (*Server, error) {
	if cfg.IAM == nil {
		return nil, errors.New("server: the IAM service is required")
	}
	m, err := model.Load("iam")
	if err != nil {
		return nil, err
	}
	s := &Server{iam: cfg.IAM, iamModel: m, reset: cfg.Reset, log: cfg.Logger, now: cfg.Now}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.verifier = &sigv4.Verifier{Lookup: s.lookup, Now: s.now}
	return s, nil
}

// SetIAM swaps the IAM service (after an ephemeral reset).
func (s *Server) SetIAM(svc *iam.Service) { s.iam = svc }

// lookup finds the credential of an access key for SigV4 verification.
func (s *Server) lookup(_ context.Context, akid, token string) (sigv4.Credential, error) {
	if token != "" {
		return sigv4.Credential{}, awserr.New("InvalidClientTokenId", "The security token included in the request is invalid.")
	}
	c, ok := s.iam.Snapshot().Credential(akid)
	if !ok || !c.Active {
		return sigv4.Credential{}, awserr.New("InvalidClientTokenId", "The security token included in the request is invalid.")
	}
	return sigv4.Credential{AccessKeyID: akid, SecretAccessKey: c.Secret, Principal: c.Principal}, nil
}

// maxBody bounds request bodies (IAM's largest documents are 131,072
// characters; query encoding can triple that).
const maxBody = 2 << 20

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	requestID := uuid.NewString()
	defer func() {
		if v := recover(); v != nil {
			s.log.Error("panic serving request", "request_id", requestID, "panic", v)
			query.WriteError(w, s.iamModel, awserr.New("ServiceFailure", "An internal error occurred."), requestID)
		}
	}()
	if strings.HasPrefix(r.URL.Path, "/_gatehouse/") {
		s.native(w, r)
		return
	}
	w.Header().Set("x-amzn-RequestId", requestID)
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		query.WriteError(w, s.iamModel, awserr.New("ValidationError", "The request body could not be read."), requestID)
		return
	}
	if len(body) > maxBody {
		query.WriteError(w, s.iamModel, &awserr.Error{Code: "RequestEntityTooLarge", Message: "Request body too large.", Status: http.StatusRequestEntityTooLarge}, requestID)
		return
	}
	s.serveQuery(w, r, body, requestID)
}

// serveQuery handles a query-protocol (IAM) request.
func (s *Server) serveQuery(w http.ResponseWriter, r *http.Request, body []byte, requestID string) {
	vals := r.URL.Query()
	if r.Method == http.MethodPost && len(body) > 0 {
		form, err := url.ParseQuery(string(body))
		if err != nil {
			query.WriteError(w, s.iamModel, awserr.New("MalformedQueryString", "The request body is not a valid form."), requestID)
			return
		}
		for k, v := range form {
			vals[k] = v
		}
	}
	res, err := s.verifier.Verify(r, body)
	if err != nil {
		query.WriteError(w, s.iamModel, err, requestID)
		return
	}
	principal, _ := res.Credential.Principal.(*authz.Principal)
	req, aerr := query.DecodeValues(s.iamModel, vals)
	if aerr != nil {
		query.WriteError(w, s.iamModel, aerr, requestID)
		return
	}
	op, ok := s.iam.Operation(req.Operation.Name)
	if !ok {
		query.WriteError(w, s.iamModel, awserr.New("InvalidAction", "The action "+req.Operation.Name+" is not valid for this web service."), requestID)
		return
	}
	call := &iam.Call{Ctx: r.Context(), Account: principal.Account, Caller: principal, Params: req.Params,
		Now: s.now().UTC().Truncate(time.Second), Context: requestContext(r, res, s.now())}
	resource := op.Resource(s.iam, call)
	areq := &authz.Request{Principal: principal, Action: "iam:" + op.Name, Resource: resource, Context: call.Context}
	var ex authz.Explanation
	if authz.Evaluate(s.iam.Snapshot().Policies(principal), areq, &ex) != authz.Allow {
		query.WriteError(w, s.iamModel, awserr.New("AccessDenied", ex.Message(areq)), requestID)
		return
	}
	result, err := op.Handle(s.iam, call)
	if err != nil {
		if awserr.As(err) == nil {
			s.log.Error("operation failed", "request_id", requestID, "operation", op.Name, "error", err)
		}
		query.WriteError(w, s.iamModel, err, requestID)
		return
	}
	query.WriteResponse(w, s.iamModel, req.Operation, result, requestID)
}

// requestContext fills the global condition keys every request carries.
func requestContext(r *http.Request, res sigv4.Result, now time.Time) authz.Context {
	ctx := authz.Context{}
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		ctx.Set("aws:SourceIp", host)
	}
	secure := "false"
	if r.TLS != nil {
		secure = "true"
	}
	ctx.Set("aws:SecureTransport", secure)
	now = now.UTC()
	ctx.Set("aws:CurrentTime", now.Format(time.RFC3339))
	ctx.Set("aws:EpochTime", strconv.FormatInt(now.Unix(), 10))
	if res.Region != "" {
		ctx.Set("aws:RequestedRegion", res.Region)
	}
	if ua := r.UserAgent(); ua != "" {
		ctx.Set("aws:UserAgent", ua)
	}
	return ctx
}
