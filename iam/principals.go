package iam

import (
	"strings"

	"github.com/gatehouse-iam/gatehouse/arn"
	"github.com/gatehouse-iam/gatehouse/authz"
)

// PrincipalByARN resolves the principal an ARN names: an IAM user, an
// account's root user, a role (as a session of it) or a role session
// (arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION). It is how services that
// authenticate their users themselves ask about them.
func (sn *Snapshot) PrincipalByARN(principalARN string) (*authz.Principal, bool) {
	a, err := arn.Parse(principalARN)
	if err != nil {
		return nil, false
	}
	switch {
	case a.Service == "iam" && a.Resource == "root":
		return sn.UserPrincipal(a.Account, ""), sn.hasAccount(a.Account)
	case a.Service == "iam" && strings.HasPrefix(a.Resource, "user/"):
		return sn.userByARN(a.Account, principalARN)
	case a.Service == "iam" && strings.HasPrefix(a.Resource, "role/"):
		return sn.roleSession(a.Account, a.Resource[strings.LastIndexByte(a.Resource, '/')+1:], "gatehouse", principalARN)
	case a.Service == "sts" && strings.HasPrefix(a.Resource, "assumed-role/"):
		parts := strings.Split(a.Resource, "/")
		if len(parts) != 3 {
			return nil, false
		}
		return sn.roleSession(a.Account, parts[1], parts[2], "")
	}
	return nil, false
}

func (sn *Snapshot) hasAccount(account string) bool {
	sn.mu.RLock()
	defer sn.mu.RUnlock()
	_, ok := sn.accounts[account]
	return ok
}

// roleSession builds the principal of a session of a role; roleARN, when
// set, must be the role's exact ARN.
func (sn *Snapshot) roleSession(account, roleName, session, roleARN string) (*authz.Principal, bool) {
	r, ok := sn.Role(account, roleName)
	if !ok || roleARN != "" && r.Arn != roleARN {
		return nil, false
	}
	tags := map[string]string{}
	for _, t := range r.Tags {
		tags[t.Key] = t.Value
	}
	return (&authz.Principal{Type: authz.AssumedRole, Account: account, RoleARN: r.Arn, ID: r.RoleId,
		ARN:         "arn:" + sn.svc.partition + ":sts::" + account + ":assumed-role/" + r.RoleName + "/" + session,
		SessionName: session, Tags: tags, ServiceLinkedRole: r.ServiceLinked}).Prepare(), true
}
