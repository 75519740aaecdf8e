// Package server is Gatehouse's HTTP front: it decodes the AWS wire
// protocols, authenticates requests with SigV4, authorizes them with the
// policy engine against the in-memory snapshot, and routes them to the
// services. Gatehouse-native endpoints live under /_gatehouse/.
package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/gatehouse-iam/gatehouse/arn"
	"github.com/gatehouse-iam/gatehouse/audit"
	"github.com/gatehouse-iam/gatehouse/authz"
	"github.com/gatehouse-iam/gatehouse/awserr"
	"github.com/gatehouse-iam/gatehouse/iam"
	"github.com/gatehouse-iam/gatehouse/orgs"
	"github.com/gatehouse-iam/gatehouse/protocol/jsonrpc"
	"github.com/gatehouse-iam/gatehouse/protocol/model"
	"github.com/gatehouse-iam/gatehouse/protocol/query"
	"github.com/gatehouse-iam/gatehouse/sigv4"
	"github.com/gatehouse-iam/gatehouse/store"
	"github.com/gatehouse-iam/gatehouse/sts"
)

// Config wires the server to its services.
type Config struct {
	// Audit, when set, records every request; a request is answered once
	// its record is committed.
	Audit *audit.Recorder
	// AuditStore is where the recorder writes, for LookupEvents.
	AuditStore store.Store
	IAM        *iam.Service
	STS        *sts.Service
	Orgs       *orgs.Service
	// Reset, when set, is called by POST /_gatehouse/reset (ephemeral mode).
	Reset  func(ctx context.Context) error
	Logger *slog.Logger
	Now    func() time.Time
}

// Server handles every request of one Gatehouse node.
type Server struct {
	active   atomic.Int64 // requests being served: the audit writer commits at once when all of them wait for it
	audit    *audit.Recorder
	events   store.Store
	iam      *iam.Service
	sts      *sts.Service
	orgs     *orgs.Service
	orgsAPI  *jsonrpc.Codec
	trailAPI *jsonrpc.Codec
	iamModel *model.Service
	stsModel *model.Service
	verifier *sigv4.Verifier
	ids      requestIDs
	reset    func(ctx context.Context) error
	log      *slog.Logger
	now      func() time.Time
}

// New builds a server.
func New(cfg Config) (*Server, error) {
	if cfg.IAM == nil || cfg.STS == nil {
		return nil, errors.New("server: the IAM and STS services are required")
	}
	im, err := model.Load("iam")
	if err != nil {
		return nil, err
	}
	sm, err := model.Load("sts")
	if err != nil {
		return nil, err
	}
	om, err := model.Load("organizations")
	if err != nil {
		return nil, err
	}
	tm, err := model.Load("cloudtrail")
	if err != nil {
		return nil, err
	}
	s := &Server{trailAPI: jsonrpc.New(tm), audit: cfg.Audit, events: cfg.AuditStore, iam: cfg.IAM, sts: cfg.STS, orgs: cfg.Orgs, orgsAPI: jsonrpc.New(om), iamModel: im, stsModel: sm,
		reset: cfg.Reset, log: cfg.Logger, now: cfg.Now}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.verifier = &sigv4.Verifier{Lookup: s.lookup, Now: s.now}
	if s.audit != nil {
		s.audit.SetActive(func() int { return int(s.active.Load()) })
	}
	return s, nil
}

// identity is who signed a request: a principal, and its session when it
// used temporary credentials.
type identity struct {
	principal *authz.Principal
	session   *sts.Session
}

// lookup finds the credential of an access key for SigV4 verification:
// long-term keys in the snapshot, temporary ones in their session token.
func (s *Server) lookup(_ context.Context, akid, token string) (sigv4.Credential, error) {
	if token != "" {
		sess, err := s.sts.Authenticate(akid, token, s.now())
		if err != nil {
			return sigv4.Credential{}, err
		}
		return sigv4.Credential{AccessKeyID: akid, SecretAccessKey: sess.Claims.Secret, SessionToken: token,
			Principal: &identity{principal: sess.Principal, session: sess}}, nil
	}
	c, ok := s.iam.Snapshot().Credential(akid)
	if !ok || !c.Active {
		return sigv4.Credential{}, awserr.New("InvalidClientTokenId", "The security token included in the request is invalid.")
	}
	return sigv4.Credential{AccessKeyID: akid, SecretAccessKey: c.Secret, Principal: &identity{principal: c.Principal}}, nil
}

// policies returns what applies to a caller's requests on resources of its
// own account, organization guardrails included.
func (s *Server) policies(id *identity) *authz.Policies {
	var pol *authz.Policies
	if id.session != nil {
		pol = s.sts.Policies(id.session)
	} else {
		pol = s.iam.Snapshot().Policies(id.principal)
	}
	return s.iam.Guard(pol, id.principal, "")
}

// maxBody bounds request bodies (IAM's largest documents are 131,072
// characters; query encoding can triple that).
const maxBody = 2 << 20

// leave counts a request out of those being served, and tells the audit
// writer, which may be waiting for it.
func (s *Server) leave() {
	s.active.Add(-1)
	if s.audit != nil {
		s.audit.Left()
	}
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	requestID := s.ids.next()
	s.active.Add(1)
	defer s.leave()
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
	w.Header().Set(requestIDHeader, requestID)
	body, err := readRequestBody(r)
	if err != nil {
		query.WriteError(w, s.iamModel, awserr.New("ValidationError", "The request body could not be read."), requestID)
		return
	}
	if len(body) > maxBody {
		query.WriteError(w, s.iamModel, &awserr.Error{Code: "RequestEntityTooLarge", Message: "Request body too large.", Status: http.StatusRequestEntityTooLarge}, requestID)
		return
	}
	target := r.Header.Get("X-Amz-Target")
	switch {
	case strings.HasPrefix(target, orgsTargetPrefix):
		s.serveOrganizations(w, r, body, requestID)
		return
	case isCloudTrail(target):
		s.serveCloudTrail(w, r, body, requestID, s.trailAPI)
		return
	case isAnalyzerRequest(r):
		s.serveAnalyzer(w, r, body, requestID)
		return
	}
	s.serveQuery(w, r, body, requestID)
}

// readRequestBody reads r's body up to maxBody+1 bytes (one more than allowed, so
// that the caller sees a body is too large) into a buffer sized from
// Content-Length when the client declared it.
func readRequestBody(r *http.Request) ([]byte, error) {
	size := 512
	if r.ContentLength >= 0 && r.ContentLength <= maxBody {
		size = int(r.ContentLength) + 1 // room to read the EOF without growing
	}
	b := make([]byte, 0, size)
	for {
		n, err := r.Body.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		switch {
		case len(b) > maxBody:
			return b[:maxBody+1], nil
		case err == io.EOF:
			return b, nil
		case err != nil:
			return b, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
	}
}

// serveQuery handles a query-protocol request: IAM, or STS when the
// request names STS's API version or one of its actions.
func (s *Server) serveQuery(w http.ResponseWriter, r *http.Request, body []byte, requestID string) {
	var vals url.Values // nil when there are no parameters: Get returns ""
	if r.URL.RawQuery != "" {
		vals, _ = query.ParseForm(r.URL.RawQuery) // as r.URL.Query(), which ignores malformed pairs
	}
	svc := s.iamModel
	now := s.now()
	rec := s.auditCall(r, "iam", requestID, now)
	fail := func(err error) {
		rec.Err = err
		if m := sts.EncodedMessage(err); m != "" {
			w.Header().Set(sts.MessageHeader, m)
		}
		if aerr := s.record(r, rec); aerr != nil {
			err = aerr
		}
		query.WriteError(w, svc, err, requestID)
	}
	if r.Method == http.MethodPost && len(body) > 0 {
		form, err := query.ParseForm(string(body))
		if err != nil {
			fail(awserr.New("MalformedQueryString", "The request body is not a valid form."))
			return
		}
		if len(vals) == 0 {
			vals = form
		} else {
			// The body's parameters replace the query string's.
			for k, v := range form {
				vals[k] = v
			}
		}
	}
	if _, isSTS := s.stsModel.Operations[vals.Get("Action")]; isSTS || vals.Get("Version") == s.stsModel.APIVersion {
		svc, rec.Service = s.stsModel, "sts"
	}
	rec.OpName = vals.Get("Action")
	res, err := s.verifier.Verify(r, body)
	rec.Region = res.Region
	unsigned := err != nil && sigv4.IsMissingAuthentication(err) && svc == s.stsModel && sts.Unsigned(vals.Get("Action"))
	if err != nil && !unsigned {
		fail(err)
		return
	}
	id, _ := res.Credential.Principal.(*identity)
	s.auditIdentity(rec, id, res.AccessKeyID)
	req, aerr := query.DecodeValues(svc, vals)
	if aerr != nil {
		fail(aerr)
		return
	}
	rec.Operation, rec.Params = req.Operation, req.Params
	call := &iam.Call{Ctx: r.Context(), Params: req.Params, Now: now.UTC().Truncate(time.Second),
		Context: requestContext(r, res, now)}
	if id != nil {
		call.Account, call.Caller = id.principal.Account, id.principal
		if id.session != nil {
			id.session.Context(call.Context, now)
		}
	} else {
		id = &identity{}
	}
	var result any
	if svc == s.stsModel {
		result, err = s.sts.Handle(req.Operation.Name, call, id.session)
	} else {
		result, err = s.serveIAM(call, id, req.Operation.Name)
	}
	if call.Caller != nil && rec.Caller == nil {
		// Identity-provider callers are known once their token is verified.
		rec.Caller = call.Caller
	}
	if rec.AccountID == "" {
		rec.AccountID = call.Account
	}
	if rec.AccountID == "" {
		// A refused federation call belongs to the role's account, as
		// CloudTrail files it.
		rec.AccountID = arn.AccountOf(req.Params.String("RoleArn"))
	}
	if err != nil {
		if awserr.As(err) == nil {
			s.log.Error("operation failed", "request_id", requestID, "operation", req.Operation.Name, "error", err)
		}
		fail(err)
		return
	}
	rec.Result = result
	if err := s.record(r, rec); err != nil {
		query.WriteError(w, svc, err, requestID)
		return
	}
	query.WriteResponse(w, svc, req.Operation, result, requestID)
}

// serveIAM authorizes and runs an IAM operation.
func (s *Server) serveIAM(call *iam.Call, id *identity, name string) (any, error) {
	op, ok := s.iam.Operation(name)
	if !ok {
		return nil, awserr.New("InvalidAction", "The action "+name+" is not valid for this web service.")
	}
	resource := op.Resource(s.iam, call)
	// IAM resources belong to the caller's account (AWS managed policies,
	// arn:aws:iam::aws:policy/…, are readable by every account).
	areq := &authz.Request{Principal: id.principal, Action: "iam:" + op.Name, Resource: resource, ResourceAccount: call.Account, Context: call.Context}
	pol := s.policies(id)
	if authz.Evaluate(pol, areq, nil) != authz.Allow {
		// Explain only denials: the allowed path stays allocation-free.
		var ex authz.Explanation
		authz.Evaluate(pol, areq, &ex)
		return nil, s.sts.Denied(&ex, areq)
	}
	return op.Handle(s.iam, call)
}

// orgsTargetPrefix is the X-Amz-Target prefix of Organizations (JSON 1.1).
const orgsTargetPrefix = "AWSOrganizationsV20161128."

// serveOrganizations handles an Organizations request.
func (s *Server) serveOrganizations(w http.ResponseWriter, r *http.Request, body []byte, requestID string) {
	now := s.now()
	rec := s.auditCall(r, "organizations", requestID, now)
	rec.OpName = strings.TrimPrefix(r.Header.Get("X-Amz-Target"), orgsTargetPrefix)
	fail := func(err error) {
		rec.Err = err
		if aerr := s.record(r, rec); aerr != nil {
			err = aerr
		}
		s.orgsAPI.WriteError(w, err, requestID)
	}
	if s.orgs == nil {
		fail(awserr.New("UnknownOperationException", "Organizations is not enabled on this server."))
		return
	}
	res, err := s.verifier.Verify(r, body)
	rec.Region = res.Region
	if err != nil {
		fail(err)
		return
	}
	id := res.Credential.Principal.(*identity)
	s.auditIdentity(rec, id, res.AccessKeyID)
	r.Body = io.NopCloser(bytes.NewReader(body))
	req, err := s.orgsAPI.Decode(r)
	if err != nil {
		fail(err)
		return
	}
	rec.Operation, rec.Params = req.Operation, req.Params
	op, ok := s.orgs.Operation(req.Operation.Name)
	if !ok {
		fail(awserr.New("UnsupportedAPIEndpointException", "Gatehouse does not support "+req.Operation.Name+"."))
		return
	}
	call := &iam.Call{Ctx: r.Context(), Account: id.principal.Account, Caller: id.principal, Params: req.Params,
		Now: now.UTC().Truncate(time.Second), Context: requestContext(r, res, now)}
	if id.session != nil {
		id.session.Context(call.Context, now)
	}
	// The action must be allowed on every resource the call names; the
	// first refusal answers.
	pol := s.policies(id)
	for _, chk := range s.orgs.Authorization(op.Name, call) {
		areq := &authz.Request{Principal: id.principal, Action: "organizations:" + op.Name, Resource: chk.Resource,
			ResourceAccount: chk.Account, Context: chk.Context}
		var ex authz.Explanation
		if authz.Evaluate(pol, areq, &ex) != authz.Allow {
			fail(awserr.New("AccessDeniedException", ex.Message(areq)))
			return
		}
	}
	result, err := op.Handle(s.orgs, call)
	if err != nil {
		if awserr.As(err) == nil {
			s.log.Error("operation failed", "request_id", requestID, "operation", op.Name, "error", err)
		}
		fail(err)
		return
	}
	rec.Result = result
	if err := s.record(r, rec); err != nil {
		s.orgsAPI.WriteError(w, err, requestID)
		return
	}
	s.orgsAPI.WriteResponse(w, req.Operation, result, requestID)
}

// requestIDHeader is x-amzn-RequestId in the canonical form net/http
// stores it under (setting it so does not allocate a canonical copy).
const requestIDHeader = "X-Amzn-Requestid"

// requestIDs makes the request IDs responses carry: random (version 4)
// UUIDs drawn from a buffer of crypto-random bytes refilled a few
// kilobytes at a time, rather than one read of the system's random source
// per request.
type requestIDs struct {
	mu   sync.Mutex
	buf  [4096]byte
	left int // unused bytes at the end of buf
}

func (g *requestIDs) next() string {
	var u uuid.UUID
	g.mu.Lock()
	if g.left < len(u) {
		rand.Read(g.buf[:]) // never fails (crypto/rand crashes the program instead)
		g.left = len(g.buf)
	}
	copy(u[:], g.buf[len(g.buf)-g.left:])
	g.left -= len(u)
	g.mu.Unlock()
	u[6] = u[6]&0x0f | 0x40 // version 4
	u[8] = u[8]&0x3f | 0x80 // RFC 4122 variant
	return u.String()
}

// globalKeys are the condition keys requestContext sets, by the lower-case
// names authz.Context.Set stores them under.
const (
	keySourceIP        = "aws:sourceip"
	keySecureTransport = "aws:securetransport"
	keyCurrentTime     = "aws:currenttime"
	keyEpochTime       = "aws:epochtime"
	keyRequestedRegion = "aws:requestedregion"
	keyUserAgent       = "aws:useragent"
	globalKeys         = 6
)

// requestContext fills the global condition keys every request carries.
// The values share one backing array (each capped to its own element), and
// the time keys' text is formatted once a second.
func requestContext(r *http.Request, res sigv4.Result, now time.Time) authz.Context {
	c := contextBuilder{ctx: make(authz.Context, globalKeys), vals: make([]string, 0, globalKeys)}
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		c.set(keySourceIP, host)
	}
	secure := "false"
	if r.TLS != nil {
		secure = "true"
	}
	c.set(keySecureTransport, secure)
	t := clockTextAt(now)
	c.set(keyCurrentTime, t.current)
	c.set(keyEpochTime, t.epoch)
	if res.Region != "" {
		c.set(keyRequestedRegion, res.Region)
	}
	if ua := r.UserAgent(); ua != "" {
		c.set(keyUserAgent, ua)
	}
	return c.ctx
}

// contextBuilder sets single-valued keys whose values share one array.
type contextBuilder struct {
	ctx  authz.Context
	vals []string
}

func (c *contextBuilder) set(key, v string) {
	c.vals = append(c.vals, v)
	n := len(c.vals)
	c.ctx[key] = c.vals[n-1 : n : n]
}

// clockText is the text of aws:CurrentTime and aws:EpochTime for one
// second.
type clockText struct {
	unix           int64
	current, epoch string
}

// lastClockText caches the clockText of the second requests arrive in.
var lastClockText atomic.Pointer[clockText]

// clockTextAt returns the time keys' text for now.
func clockTextAt(now time.Time) *clockText {
	unix := now.Unix()
	if t := lastClockText.Load(); t != nil && t.unix == unix {
		return t
	}
	t := &clockText{unix: unix, current: now.UTC().Format(time.RFC3339), epoch: strconv.FormatInt(unix, 10)}
	lastClockText.Store(t)
	return t
}
