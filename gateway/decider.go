package gateway

import (
	"context"
	"net/http"

	"github.com/gatehouse-iam/gatehouse/authz"
	"github.com/gatehouse-iam/gatehouse/awserr"
	"github.com/gatehouse-iam/gatehouse/policy"
	"github.com/gatehouse-iam/gatehouse/sigv4"
)

// Question asks whether the signer of an end user's request may perform
// an action on a resource.
type Question struct {
	// Request is the end user's SigV4-signed request as received (header
	// or presigned form); Body is its complete body.
	Request *http.Request
	Body    []byte
	Action  string
	// Resource is the resource ARN, or "*".
	Resource string
	// Context holds condition keys (aws:SourceIp, …) and their values.
	Context map[string][]string
}

// Principal is the authenticated caller, as the upstream is told in
// X-Gatehouse-Principal-Arn, -Account and -Type.
type Principal struct {
	ARN     string `json:"arn"`
	Account string `json:"account"`
	Type    string `json:"type"`
}

// Answer is a Decider's decision about a Question.
type Answer struct {
	Principal Principal
	// Decision is "allow", "explicit_deny" or "implicit_deny".
	Decision string
	// Message is AWS's AccessDenied sentence for a denial.
	Message string
}

// Allowed reports whether the answer allows the request.
func (a *Answer) Allowed() bool { return a.Decision == authz.Allow.String() }

// A Decider authenticates the end user's request and decides a Question.
// Authentication failures are *awserr.Error values with AWS's codes
// (SignatureDoesNotMatch, InvalidClientTokenId, MissingAuthenticationToken,
// …) and statuses; other errors mean the decision could not be made.
type Decider interface {
	Decide(ctx context.Context, q *Question) (*Answer, error)
}

// Local decides in process with the engine: Verifier authenticates the
// request and its Lookup's Credential.Principal must be a *LocalIdentity.
// It is for services that embed Gatehouse and hold their policies.
type Local struct {
	Verifier *sigv4.Verifier
	// ResourcePolicy, when set, returns the resource-based policy of a
	// resource ARN and the account that owns the resource (nil, "" when it
	// has none).
	ResourcePolicy func(resource string) (*policy.Set, string)
}

// LocalIdentity is who owns an access key under Local, with every policy
// that applies to them except the resource's.
type LocalIdentity struct {
	Principal *authz.Principal
	Policies  *authz.Policies
}

// LocalKey is a long-term access key known to KeyLookup.
type LocalKey struct {
	Secret   string
	Identity *LocalIdentity
}

// KeyLookup is a sigv4.Lookup over a fixed set of access keys (by access
// key ID), for Local.
func KeyLookup(keys map[string]LocalKey) sigv4.Lookup {
	return func(_ context.Context, id, token string) (sigv4.Credential, error) {
		k, ok := keys[id]
		if !ok || token != "" {
			return sigv4.Credential{}, awserr.New("InvalidClientTokenId", "The security token included in the request is invalid.")
		}
		return sigv4.Credential{AccessKeyID: id, SecretAccessKey: k.Secret, Principal: k.Identity}, nil
	}
}

// Decide verifies q.Request and evaluates q with the identity's policies.
func (l *Local) Decide(_ context.Context, q *Question) (*Answer, error) {
	res, err := l.Verifier.Verify(q.Request, q.Body)
	if err != nil {
		return nil, err
	}
	id, ok := res.Credential.Principal.(*LocalIdentity)
	if !ok || id == nil || id.Principal == nil || id.Policies == nil {
		return nil, awserr.New("InternalFailure", "The access key has no local identity.")
	}
	pol := *id.Policies
	owner := ""
	if l.ResourcePolicy != nil {
		if set, account := l.ResourcePolicy(q.Resource); set != nil {
			pol.Resource, owner = set, account
		}
	}
	ctx := make(authz.Context, len(q.Context))
	for k, v := range q.Context {
		ctx.Set(k, v...)
	}
	req := &authz.Request{Principal: id.Principal, Action: q.Action, Resource: q.Resource, ResourceAccount: owner, Context: ctx}
	var ex authz.Explanation
	d := authz.Evaluate(&pol, req, &ex)
	a := &Answer{Decision: d.String(), Principal: Principal{ARN: id.Principal.ARN, Account: id.Principal.Account, Type: string(id.Principal.Type)}}
	if d != authz.Allow {
		a.Message = ex.Message(req)
	}
	return a, nil
}
