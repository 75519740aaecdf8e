package server

import (
	"net"
	"net/http"
	"time"

	"github.com/gatehouse-iam/gatehouse/audit"
	"github.com/gatehouse-iam/gatehouse/authz"
	"github.com/gatehouse-iam/gatehouse/awserr"
)

// auditCall starts the audit record of a request.
func (s *Server) auditCall(r *http.Request, service, requestID string, now time.Time) *audit.Call {
	ip := r.RemoteAddr
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		ip = host
	}
	return &audit.Call{Service: service, RequestID: requestID, SourceIP: ip, UserAgent: r.UserAgent(), Time: now}
}

// auditIdentity fills who called: the principal, its access key and, for
// temporary credentials, the session context.
func (s *Server) auditIdentity(rec *audit.Call, id *identity, accessKeyID string) {
	if id == nil {
		return
	}
	rec.Caller, rec.AccessKeyID, rec.AccountID = id.principal, accessKeyID, id.principal.Account
	if id.session == nil {
		return
	}
	c := id.session.Claims
	sess := &audit.Session{Created: c.Issued, MFA: c.MFA, SourceIdentity: c.SourceIdentity, FederatedProvider: c.Provider}
	switch id.principal.Type {
	case authz.AssumedRole:
		sess.IssuerType, sess.IssuerARN, sess.IssuerID, sess.IssuerAccount = "Role", c.RoleARN, c.RoleID, c.Account
		sess.IssuerName = c.RoleARN[lastSlash(c.RoleARN)+1:]
	case authz.FederatedUser, authz.User:
		if c.UserName != "" {
			sess.IssuerType, sess.IssuerAccount, sess.IssuerName = "IAMUser", c.Account, c.UserName
			sess.IssuerARN = "arn:aws:iam::" + c.Account + ":user/" + c.UserName
		}
	}
	rec.Session = sess
}

func lastSlash(s string) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '/' {
			return i
		}
	}
	return -1
}

// record writes a request's audit record and waits for it to be committed.
// A record that cannot be written fails the request: nothing is acknowledged
// without its record.
func (s *Server) record(r *http.Request, rec *audit.Call) error {
	if s.audit == nil {
		return nil
	}
	if err := s.audit.Record(r.Context(), rec); err != nil {
		s.log.Error("audit record not written", "request_id", rec.RequestID, "error", err)
		return awserr.New("ServiceUnavailable", "The request could not be recorded; try again.")
	}
	return nil
}
