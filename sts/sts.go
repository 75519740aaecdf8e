// Package sts is Gatehouse's Security Token Service: short-lived credentials
// for roles (AssumeRole, with trust policies enforced by the policy engine,
// session policies, session tags, source identity and role chaining), for
// users (GetSessionToken) and for federated users (GetFederationToken), and
// the identity behind any credentials (GetCallerIdentity).
//
// Session tokens are self-contained: an AEAD-sealed blob carrying the
// session's claims, including its secret key, so that any node holding the
// deployment's key ring can authenticate the session without a lookup.
package sts

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gatehouse-iam/gatehouse/authz"
	"github.com/gatehouse-iam/gatehouse/awserr"
	"github.com/gatehouse-iam/gatehouse/iam"
	"github.com/gatehouse-iam/gatehouse/policy"
)

// Service is the STS of one deployment.
type Service struct {
	iam       *iam.Service
	ring      *KeyRing
	partition string
	sessions  sync.Map // access key id → *Session, bounded by maxCachedSessions
	count     int64
	compiled  compileCache // session policies and trust policies by document
	mu        sync.Mutex
	http      *http.Client
	jwks      keySets
}

// New builds the STS over the IAM service and a key ring.
func New(iamSvc *iam.Service, ring *KeyRing, partition string) *Service {
	if partition == "" {
		partition = "aws"
	}
	return &Service{iam: iamSvc, ring: ring, partition: partition}
}

// Session is an authenticated temporary credential.
type Session struct {
	Claims    *Claims
	Principal *authz.Principal
	session   *policy.Set // compiled session policies, nil if none
	bad       error       // set when a session policy no longer compiles
	token     string      // the token the session was opened from
}

// maxCachedSessions bounds the token cache.
const maxCachedSessions = 10000

// Authenticate opens a session token presented with an access key id. It
// returns AWS's errors: InvalidClientTokenId for tokens this deployment did
// not issue or that do not belong to the key, ExpiredToken after expiry.
func (s *Service) Authenticate(accessKeyID, token string, now time.Time) (*Session, error) {
	// Sessions are cached by access key id (short to hash); a hit counts
	// only for the very token the session was opened from.
	var sess *Session
	if v, ok := s.sessions.Load(accessKeyID); ok && v.(*Session).token == token {
		sess = v.(*Session)
	} else {
		c, err := s.ring.Open(token)
		if err != nil {
			return nil, invalidClientToken()
		}
		sess = s.newSession(c)
		if c.AccessKeyID == accessKeyID {
			sess.token = token
			s.remember(accessKeyID, sess)
		}
	}
	if sess.Claims.AccessKeyID != accessKeyID {
		return nil, invalidClientToken()
	}
	if !now.Before(sess.Claims.Expires) {
		return nil, awserr.New("ExpiredToken", "The security token included in the request is expired")
	}
	if sess.Principal == nil {
		return nil, invalidClientToken()
	}
	return sess, nil
}

func invalidClientToken() error {
	return awserr.New("InvalidClientTokenId", "The security token included in the request is invalid.")
}

func (s *Service) remember(accessKeyID string, sess *Session) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.count >= maxCachedSessions {
		s.sessions.Clear()
		s.count = 0
	}
	s.sessions.Store(accessKeyID, sess)
	s.count++
}

// newSession rebuilds a session's principal and session policies.
func (s *Service) newSession(c *Claims) *Session {
	sess := &Session{Claims: c}
	snap := s.iam.Snapshot()
	switch c.Kind {
	case "role":
		name := c.RoleARN[strings.LastIndexByte(c.RoleARN, '/')+1:]
		tags := map[string]string{}
		linked := false
		if r, ok := snap.Role(c.Account, name); ok {
			for _, t := range r.Tags {
				tags[t.Key] = t.Value
			}
			linked = r.ServiceLinked
		}
		for k, v := range c.Tags {
			tags[k] = v
		}
		sess.Principal = (&authz.Principal{Type: authz.AssumedRole, Account: c.Account,
			ARN:     "arn:" + s.partition + ":sts::" + c.Account + ":assumed-role/" + name + "/" + c.SessionName,
			RoleARN: c.RoleARN, SessionName: c.SessionName, ID: c.RoleID, Tags: tags, ServiceLinkedRole: linked}).Prepare()
	case "user":
		sess.Principal = snap.UserPrincipal(c.Account, c.UserName)
	case "federated":
		sess.Principal = (&authz.Principal{Type: authz.FederatedUser, Account: c.Account,
			ARN:         "arn:" + s.partition + ":sts::" + c.Account + ":federated-user/" + c.SessionName,
			SessionName: c.SessionName, Tags: c.Tags}).Prepare()
	}
	sess.session, sess.bad = s.sessionSet(c)
	return sess
}

// sessionSet compiles a session's policies (nil when it has none).
func (s *Service) sessionSet(c *Claims) (*policy.Set, error) {
	if len(c.Policies) == 0 && len(c.PolicyARNs) == 0 {
		return nil, nil
	}
	var list []*policy.Compiled
	for i, doc := range c.Policies {
		p, err := s.compiled.get(fmt.Sprintf("session-policy-%d", i), doc, policy.Identity)
		if err != nil {
			return nil, err
		}
		list = append(list, p)
	}
	for _, arn := range c.PolicyARNs {
		doc, ok := s.iam.Snapshot().ManagedPolicyDocument(arn)
		if !ok {
			continue
		}
		p, err := s.compiled.get(arn, doc, policy.Identity)
		if err != nil {
			return nil, err
		}
		list = append(list, p)
	}
	return policy.NewSet(list...), nil
}

// compileCache keeps compiled policies by id and document, so that the
// sessions of one role, which mostly share their session policies, and
// every AssumeRole of a role, compile its documents once. It is emptied
// when it reaches maxCompiled entries.
type compileCache struct {
	m sync.Map // kind, id and document → *policy.Compiled
	n atomic.Int64
}

const maxCompiled = 4096

type compileKey struct {
	kind    policy.Kind
	id, doc string
}

func (cc *compileCache) get(id, doc string, kind policy.Kind) (*policy.Compiled, error) {
	key := compileKey{kind, id, doc}
	if p, ok := cc.m.Load(key); ok {
		return p.(*policy.Compiled), nil
	}
	p, err := policy.ParseAndCompile(id, doc, kind)
	if err != nil {
		return nil, err
	}
	if cc.n.Add(1) > maxCompiled {
		cc.m.Clear()
		cc.n.Store(1)
	}
	cc.m.Store(key, p)
	return p, nil
}

// Policies returns the policies that apply to a session's requests: its
// role's (or user's) identity policies and boundary, narrowed by its session
// policies.
func (s *Service) Policies(sess *Session) *authz.Policies {
	snap := s.iam.Snapshot()
	var base *authz.Policies
	switch sess.Claims.Kind {
	case "federated":
		if u := snap.UserPrincipal(sess.Claims.Account, sess.Claims.UserName); u != nil {
			base = snap.Policies(u)
		} else {
			base = &authz.Policies{}
		}
	default:
		base = snap.Policies(sess.Principal)
	}
	pol := *base
	pol.Session = sess.session
	if sess.bad != nil {
		pol.Session = policy.NewSet() // a session policy that no longer compiles allows nothing
	}
	return &pol
}

// Context adds the condition keys a session carries: aws:TokenIssueTime,
// aws:MultiFactorAuthPresent and aws:MultiFactorAuthAge, aws:SourceIdentity.
func (sess *Session) Context(ctx authz.Context, now time.Time) {
	c := sess.Claims
	ctx.Set("aws:TokenIssueTime", c.Issued.UTC().Format(time.RFC3339))
	if c.MFA {
		ctx.Set("aws:MultiFactorAuthPresent", "true")
		if c.MFAAuthTime != nil {
			ctx.Set("aws:MultiFactorAuthAge", fmt.Sprint(int64(now.Sub(*c.MFAAuthTime).Seconds())))
		}
	} else {
		ctx.Set("aws:MultiFactorAuthPresent", "false")
	}
	if c.SourceIdentity != "" {
		ctx.Set("aws:SourceIdentity", c.SourceIdentity)
	}
	if c.Provider != "" {
		ctx.Set("aws:FederatedProvider", c.Provider)
	}
}
