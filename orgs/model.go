// Package orgs is Gatehouse's AWS Organizations: accounts gathered in an
// organization under a root and organizational units, and the service
// control policies (SCPs) and resource control policies (RCPs) attached to
// them, which the policy engine enforces on every request as guardrails.
//
// An organization is kept as one store record (its whole tree, policies and
// attachments), written in one transaction per operation, with a global index
// record per member account. Organizations hold up to a few thousand
// accounts, for which rewriting the record is cheap and every change is
// atomic.
package orgs

import "time"

// Policy types.
const (
	SCP = "SERVICE_CONTROL_POLICY"
	RCP = "RESOURCE_CONTROL_POLICY"
)

// Record kinds.
const (
	kindOrganization = "orgs.organization" // global; ID: the organization id
	kindMember       = "orgs.member"       // global; ID: an account id; Data: the organization id
)

// Tag is a key-value tag on an organization resource.
type Tag struct {
	Key   string
	Value string
}

// PolicyTypeSummary says whether a policy type is enabled at the root.
type PolicyTypeSummary struct {
	Type   string
	Status string
}

// state is an organization, as stored.
type state struct {
	ID                string
	ManagementAccount string
	ManagementEmail   string
	FeatureSet        string
	RootID            string
	RootPolicyTypes   []PolicyTypeSummary
	OUs               map[string]*ou
	Accounts          map[string]*account
	Policies          map[string]*orgPolicy // customer managed, by id
	Attachments       map[string][]string   // target id → policy ids
	Tags              map[string][]Tag      // resource id → tags
	ServicePrincipals []string
	CreateStatuses    map[string]*createStatus
	DelegatedAdmins   map[string][]string // account id → service principals
}

type ou struct {
	ID     string
	Name   string
	Parent string
}

type account struct {
	ID           string
	Name         string
	Email        string
	Status       string // ACTIVE, SUSPENDED, PENDING_CLOSURE
	State        string // ACTIVE, CLOSED, …
	JoinedMethod string // INVITED or CREATED
	Joined       time.Time
	Parent       string
}

type orgPolicy struct {
	ID          string
	Name        string
	Description string
	Type        string
	Content     string
}

type createStatus struct {
	ID          string
	AccountName string
	State       string
	Requested   time.Time
	Completed   time.Time
	AccountID   string
}

// AWS managed policies of every organization.
const (
	fullAccessID    = "p-FullAWSAccess"
	rcpFullAccessID = "p-RCPFullAWSAccess"
)

var awsPolicies = map[string]*orgPolicy{
	fullAccessID: {ID: fullAccessID, Name: "FullAWSAccess", Type: SCP,
		Description: "Allows access to every operation",
		Content:     `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`},
	rcpFullAccessID: {ID: rcpFullAccessID, Name: "RCPFullAWSAccess", Type: RCP,
		Description: "Allows access to every operation",
		Content:     `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`},
}

// policy returns a customer managed or AWS managed policy by id.
func (st *state) policy(id string) (*orgPolicy, bool) {
	if p, ok := awsPolicies[id]; ok {
		return p, true
	}
	p, ok := st.Policies[id]
	return p, ok
}

// enabled reports whether a policy type is enabled at the root.
func (st *state) enabled(typ string) bool {
	for _, t := range st.RootPolicyTypes {
		if t.Type == typ && t.Status == "ENABLED" {
			return true
		}
	}
	return false
}

// parentOf returns a target's parent id ("" for the root).
func (st *state) parentOf(id string) string {
	if a, ok := st.Accounts[id]; ok {
		return a.Parent
	}
	if o, ok := st.OUs[id]; ok {
		return o.Parent
	}
	return ""
}

// path returns the ids from the root down to the target, inclusive.
func (st *state) path(target string) []string {
	var rev []string
	for id := target; id != ""; id = st.parentOf(id) {
		rev = append(rev, id)
		if id == st.RootID || len(rev) > 10 {
			break
		}
	}
	out := make([]string, len(rev))
	for i, id := range rev {
		out[len(rev)-1-i] = id
	}
	return out
}

// exists reports whether a target (root, OU or account) exists.
func (st *state) exists(id string) bool {
	if id == st.RootID {
		return true
	}
	_, ou := st.OUs[id]
	_, acct := st.Accounts[id]
	return ou || acct
}
