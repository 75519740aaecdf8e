package iam

import (
	"errors"

	"github.com/gatehouse-iam/gatehouse/awserr"
	"github.com/gatehouse-iam/gatehouse/store"
)

// kindAccountAlias is an account alias: global (aliases are unique across
// every account); ID: the alias; Parent: the account id.
const kindAccountAlias = "iam.accountalias"

// Fixed IAM quotas that Gatehouse does not make configurable, as
// GetAccountSummary reports them.
const (
	aliasesPerAccount               = 1
	serverCertificatesQuota         = 20
	signingCertificatesPerUserQuota = 2
	policyVersionsInUseQuota        = 10000
)

func init() {
	register(
		&Operation{Name: "CreateAccountAlias", Resource: accountWide, Handle: createAccountAlias},
		&Operation{Name: "DeleteAccountAlias", Resource: accountWide, Handle: deleteAccountAlias},
		&Operation{Name: "ListAccountAliases", Resource: accountWide, Handle: listAccountAliases},
		&Operation{Name: "GetAccountSummary", Resource: accountWide, Handle: getAccountSummary},
		&Operation{Name: "ListEntitiesForPolicy", Resource: policyResource, Handle: listEntitiesForPolicy},
	)
}

func createAccountAlias(s *Service, c *Call) (any, error) {
	alias := c.Params.String("AccountAlias")
	return nil, s.update(c.Ctx, func(tx store.Tx) error {
		if _, err := tx.Get(c.Ctx, store.Key{Kind: kindAccountAlias, ID: alias}); err == nil {
			return awserr.New("EntityAlreadyExists", "The account alias "+alias+" already exists.")
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		parent := c.Account
		n, err := tx.Count(c.Ctx, store.ListOptions{Kind: kindAccountAlias, Parent: &parent})
		if err != nil {
			return err
		}
		if err := quota(n, aliasesPerAccount, "AccountAliasesPerAccount"); err != nil {
			return err
		}
		return exists(put(c.Ctx, tx, kindAccountAlias, "", alias, c.Account, map[string]string{"Account": c.Account}, true),
			"The account alias "+alias+" already exists.")
	})
}

func deleteAccountAlias(s *Service, c *Call) (any, error) {
	alias := c.Params.String("AccountAlias")
	return nil, s.update(c.Ctx, func(tx store.Tx) error {
		missing := awserr.New("NoSuchEntity", "The account alias "+alias+" cannot be found.")
		rec, err := tx.Get(c.Ctx, store.Key{Kind: kindAccountAlias, ID: alias})
		switch {
		case errors.Is(err, store.ErrNotFound):
			return missing
		case err != nil:
			return err
		case rec.Parent != c.Account:
			return missing
		}
		return tx.Delete(c.Ctx, rec.Key(), rec.Version)
	})
}

// accountAliases lists an account's aliases.
func accountAliases(c *Call, tx store.Tx) ([]string, error) {
	parent := c.Account
	recs, err := tx.List(c.Ctx, store.ListOptions{Kind: kindAccountAlias, Parent: &parent})
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(recs))
	for _, r := range recs {
		out = append(out, r.ID)
	}
	return out, nil
}

func listAccountAliases(s *Service, c *Call) (any, error) {
	var aliases []string
	err := s.store.View(c.Ctx, func(tx store.Tx) error {
		var err error
		aliases, err = accountAliases(c, tx)
		return err
	})
	if err != nil {
		return nil, err
	}
	pg, trunc, marker, err := page(c.Params, aliases, func(a string) string { return a })
	if err != nil {
		return nil, err
	}
	return listResult("AccountAliases", pg, trunc, marker), nil
}

// getAccountSummary counts the account's entities and reports its quotas
// under AWS's SummaryMap keys.
func getAccountSummary(s *Service, c *Call) (any, error) {
	q := s.quotas
	m := map[string]int64{
		"UsersQuota": int64(q.UsersPerAccount), "GroupsQuota": int64(q.GroupsPerAccount),
		"RolesQuota": int64(q.RolesPerAccount), "PoliciesQuota": int64(q.PoliciesPerAccount),
		"InstanceProfilesQuota": int64(q.InstanceProfilesPerAcct), "ServerCertificatesQuota": serverCertificatesQuota,
		"UserPolicySizeQuota": int64(q.UserInlinePolicySize), "GroupPolicySizeQuota": int64(q.GroupInlinePolicySize),
		"RolePolicySizeQuota": int64(q.RoleInlinePolicySize), "AssumeRolePolicySizeQuota": int64(q.TrustPolicySize),
		"PolicySizeQuota": int64(q.ManagedPolicySize), "GroupsPerUserQuota": int64(q.GroupsPerUser),
		"SigningCertificatesPerUserQuota": signingCertificatesPerUserQuota, "AccessKeysPerUserQuota": int64(q.AccessKeysPerUser),
		"AttachedPoliciesPerUserQuota": int64(q.ManagedPoliciesPerUser), "AttachedPoliciesPerGroupQuota": int64(q.ManagedPoliciesPerGroup),
		"AttachedPoliciesPerRoleQuota": int64(q.ManagedPoliciesPerRole), "VersionsPerPolicyQuota": int64(q.VersionsPerPolicy),
		"PolicyVersionsInUseQuota": policyVersionsInUseQuota,
		// The root user has neither a password nor MFA in Gatehouse.
		"AccountMFAEnabled": 0, "AccountPasswordPresent": 0, "AccountSigningCertificatesPresent": 0,
		"MFADevicesInUse": 0, "PolicyVersionsInUse": 0, "AccountAccessKeysPresent": 0,
	}
	err := s.store.View(c.Ctx, func(tx store.Tx) error {
		counts := []struct {
			key   string
			kinds []string
		}{
			{"Users", []string{kindUser}}, {"Groups", []string{kindGroup}}, {"Roles", []string{kindRole}},
			{"Policies", []string{kindPolicy}}, {"InstanceProfiles", []string{kindProfile}},
			{"ServerCertificates", []string{kindServerCert}},
			{"Providers", []string{kindSAML, kindOIDC}},
			{"MFADevices", []string{kindMFADevice}},
		}
		for _, ct := range counts {
			for _, kind := range ct.kinds {
				n, err := countKind(c, tx, kind)
				if err != nil {
					return err
				}
				m[ct.key] += int64(n)
			}
		}
		devices, err := list[MFADevice](c.Ctx, tx, store.ListOptions{Kind: kindMFADevice, Account: c.Account})
		if err != nil {
			return err
		}
		for _, d := range devices {
			if holder(c.Ctx, tx, c.Account, d) != nil {
				m["MFADevicesInUse"]++
			}
		}
		policies, err := list[Policy](c.Ctx, tx, store.ListOptions{Kind: kindPolicy, Account: c.Account})
		if err != nil {
			return err
		}
		for _, p := range policies {
			m["PolicyVersionsInUse"] += int64(len(p.Versions))
		}
		rootKeys := keyParent(c.Account, "")
		if n, err := tx.Count(c.Ctx, store.ListOptions{Kind: kindAccessKey, Parent: &rootKeys}); err != nil {
			return err
		} else if n > 0 {
			m["AccountAccessKeysPresent"] = 1
		}
		rootCerts := ""
		if n, err := tx.Count(c.Ctx, store.ListOptions{Kind: kindSigningCert, Account: c.Account, Parent: &rootCerts}); err != nil {
			return err
		} else if n > 0 {
			m["AccountSigningCertificatesPresent"] = 1
		}
		prefs, err := stsPreferences(c, tx)
		m["GlobalEndpointTokenVersion"] = prefs.tokenVersion()
		return err
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"SummaryMap": m}, nil
}

// policyEntity is one principal a managed policy is attached to, for
// ListEntitiesForPolicy.
type policyEntity struct {
	list string // PolicyUsers, PolicyGroups or PolicyRoles
	key  string // sort key: the list's initial, then the lower-cased name
	item map[string]any
}

// policyUse reports whether a principal uses the policy as the usage filter
// asks: attached as a permissions policy, or as its permissions boundary.
func policyUse(usage, arn string, attached []AttachedPolicy, boundary *Boundary) bool {
	if usage != "PermissionsBoundary" {
		for _, ap := range attached {
			if ap.PolicyArn == arn {
				return true
			}
		}
	}
	return usage != "PermissionsPolicy" && boundary != nil && boundary.PermissionsBoundaryArn == arn
}

func listEntitiesForPolicy(s *Service, c *Call) (any, error) {
	arn := c.Params.String("PolicyArn")
	filter, usage := c.Params.String("EntityFilter"), c.Params.String("PolicyUsageFilter")
	want := func(kind string) bool {
		return filter == "" || filter == kind || filter == "LocalManagedPolicy" || filter == "AWSManagedPolicy"
	}
	var entities []policyEntity
	err := s.store.View(c.Ctx, func(tx store.Tx) error {
		if _, ok := awsManagedPolicy(arn); !ok {
			if _, err := s.readPolicy(c, tx, arn); err != nil {
				return err
			}
		}
		if want("User") {
			users, err := list[User](c.Ctx, tx, store.ListOptions{Kind: kindUser, Account: c.Account})
			if err != nil {
				return err
			}
			for _, u := range pathPrefixFilter(c.Params, users, func(u *User) string { return u.Path }) {
				if policyUse(usage, arn, u.Attached, u.PermissionsBoundary) {
					entities = append(entities, policyEntity{"PolicyUsers", "u" + lower(u.UserName),
						map[string]any{"UserName": u.UserName, "UserId": u.UserId}})
				}
			}
		}
		if want("Group") && usage != "PermissionsBoundary" {
			groups, err := list[Group](c.Ctx, tx, store.ListOptions{Kind: kindGroup, Account: c.Account})
			if err != nil {
				return err
			}
			for _, g := range pathPrefixFilter(c.Params, groups, func(g *Group) string { return g.Path }) {
				if policyUse(usage, arn, g.Attached, nil) {
					entities = append(entities, policyEntity{"PolicyGroups", "g" + lower(g.GroupName),
						map[string]any{"GroupName": g.GroupName, "GroupId": g.GroupId}})
				}
			}
		}
		if want("Role") {
			roles, err := list[Role](c.Ctx, tx, store.ListOptions{Kind: kindRole, Account: c.Account})
			if err != nil {
				return err
			}
			for _, r := range pathPrefixFilter(c.Params, roles, func(r *Role) string { return r.Path }) {
				if policyUse(usage, arn, r.Attached, r.PermissionsBoundary) {
					entities = append(entities, policyEntity{"PolicyRoles", "r" + lower(r.RoleName),
						map[string]any{"RoleName": r.RoleName, "RoleId": r.RoleId}})
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	pg, trunc, marker, err := page(c.Params, entities, func(e policyEntity) string { return e.key })
	if err != nil {
		return nil, err
	}
	out := map[string]any{"IsTruncated": trunc}
	for _, l := range []string{"PolicyUsers", "PolicyGroups", "PolicyRoles"} {
		out[l] = []map[string]any{}
	}
	for _, e := range pg {
		out[e.list] = append(out[e.list].([]map[string]any), e.item)
	}
	if trunc {
		out["Marker"] = marker
	}
	return out, nil
}
