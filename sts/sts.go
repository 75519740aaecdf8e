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
	"slices"
	"strconv"
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
	roleTags  roleTagCache // role sessions' principal tags
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
		b := new(sessionBlock)
		if err := s.ring.openClaims(token, &b.claims, b.lists[:]); err != nil {
			return nil, invalidClientToken()
		}
		sess = s.newSession(b)
		if sess.Claims.AccessKeyID == accessKeyID {
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

// sessionBlock is a session with its claims and principal, allocated
// together when a token is first seen.
type sessionBlock struct {
	sess      Session
	claims    Claims
	principal authz.Principal
	// lists is room for the claims' lists (session policy, transitive tag
	// keys); it fits in the block's size class.
	lists [4]string
}

// newSession rebuilds a session's principal and session policies from the
// claims in b.
func (s *Service) newSession(b *sessionBlock) *Session {
	sess, c := &b.sess, &b.claims
	sess.Claims = c
	snap := s.iam.Snapshot()
	switch c.Kind {
	case "role":
		name := c.RoleARN[strings.LastIndexByte(c.RoleARN, '/')+1:]
		var roleTags map[string]string
		linked := false
		if r, ok := snap.Role(c.Account, name); ok {
			roleTags = s.roleTags.get(r)
			linked = r.ServiceLinked
		}
		b.principal = authz.Principal{Type: authz.AssumedRole, Account: c.Account,
			ARN:     "arn:" + s.partition + ":sts::" + c.Account + ":assumed-role/" + name + "/" + c.SessionName,
			RoleARN: c.RoleARN, SessionName: c.SessionName, ID: c.RoleID, Tags: roleTags, SessionTags: c.Tags,
			ServiceLinkedRole: linked}
		sess.Principal = b.principal.Prepare()
	case "user":
		sess.Principal = snap.UserPrincipal(c.Account, c.UserName)
	case "federated":
		b.principal = authz.Principal{Type: authz.FederatedUser, Account: c.Account,
			ARN:         "arn:" + s.partition + ":sts::" + c.Account + ":federated-user/" + c.SessionName,
			SessionName: c.SessionName, Tags: c.Tags}
		sess.Principal = b.principal.Prepare()
	}
	sess.session, sess.bad = s.sessionSet(c)
	return sess
}

// sessionSet compiles a session's policies (nil when it has none).
func (s *Service) sessionSet(c *Claims) (*policy.Set, error) {
	if len(c.Policies) == 0 && len(c.PolicyARNs) == 0 {
		return nil, nil
	}
	// On the stack for every session AssumeRole issues (one inline policy,
	// up to maxPolicyARNs managed ones).
	entries := make([]*compiledEntry, 0, 1+maxPolicyARNs)
	for i, doc := range c.Policies {
		e, err := s.compiled.entry(sessionPolicyID(i), doc, policy.Identity)
		if err != nil {
			return nil, err
		}
		entries = append(entries, e)
	}
	for _, arn := range c.PolicyARNs {
		doc, ok := s.iam.Snapshot().ManagedPolicyDocument(arn)
		if !ok {
			continue
		}
		e, err := s.compiled.entry(arn, doc, policy.Identity)
		if err != nil {
			return nil, err
		}
		entries = append(entries, e)
	}
	if len(entries) == 1 {
		return entries[0].set, nil
	}
	list := make([]*policy.Compiled, len(entries))
	for i, e := range entries {
		list[i] = e.p
	}
	return policy.NewSet(list...), nil
}

// sessionPolicyID names a session's i-th inline session policy.
func sessionPolicyID(i int) string {
	if i == 0 {
		return "session-policy-0" // the only one AssumeRole takes, without allocating
	}
	return "session-policy-" + strconv.Itoa(i)
}

// compileCache keeps compiled policies by id and document, so that the
// sessions of one role, which mostly share their session policies, and
// every AssumeRole of a role, compile its documents once. It is emptied
// when it reaches maxCompiled entries.
type compileCache struct {
	m sync.Map // compileKey → *compiledEntry
	n atomic.Int64
}

const maxCompiled = 4096

type compileKey struct {
	kind    policy.Kind
	id, doc string
}

// compiledEntry is a compiled document and the set of that one policy,
// which every session (or AssumeRole) whose policies are just this
// document shares: a Set is safe for concurrent use, and sharing it builds
// each action's index once rather than once per session.
type compiledEntry struct {
	p   *policy.Compiled
	set *policy.Set
}

// set returns the set of one document.
func (cc *compileCache) set(id, doc string, kind policy.Kind) (*policy.Set, error) {
	e, err := cc.entry(id, doc, kind)
	if err != nil {
		return nil, err
	}
	return e.set, nil
}

// entry returns the compiled document, compiling it on first use.
func (cc *compileCache) entry(id, doc string, kind policy.Kind) (*compiledEntry, error) {
	key := compileKey{kind, id, doc}
	if e, ok := cc.m.Load(key); ok {
		return e.(*compiledEntry), nil
	}
	p, err := policy.ParseAndCompile(id, doc, kind)
	if err != nil {
		return nil, err
	}
	if cc.n.Add(1) > maxCompiled {
		cc.m.Clear()
		cc.n.Store(1)
	}
	e := &compiledEntry{p: p, set: policy.NewSet(p)}
	cc.m.Store(key, e)
	return e, nil
}

// roleTagCache keeps roles' tags as the map their sessions' principals
// share (each session adds its own session tags over them). An entry holds
// the tags it was built from and counts only while the role still has
// them. It is emptied when it reaches maxRoleTags entries.
type roleTagCache struct {
	m sync.Map // role ARN → *roleTags
	n atomic.Int64
}

const maxRoleTags = 4096

// roleTags is a role's tags as a list (as the role has them) and as a map.
type roleTags struct {
	list []iam.Tag
	m    map[string]string
}

// get returns the tags of a role as a map (nil if it has none), which
// must not be modified.
func (rc *roleTagCache) get(r *iam.Role) map[string]string {
	if len(r.Tags) == 0 {
		return nil
	}
	if e, ok := rc.m.Load(r.Arn); ok && slices.Equal(e.(*roleTags).list, r.Tags) {
		return e.(*roleTags).m
	}
	e := &roleTags{list: slices.Clone(r.Tags), m: make(map[string]string, len(r.Tags))}
	for _, t := range r.Tags {
		e.m[t.Key] = t.Value
	}
	if rc.n.Add(1) > maxRoleTags {
		rc.m.Clear()
		rc.n.Store(1)
	}
	rc.m.Store(r.Arn, e)
	return e.m
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
