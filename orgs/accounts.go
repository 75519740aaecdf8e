package orgs

import (
	"sort"

	"github.com/gatehouse-iam/gatehouse/awserr"
	"github.com/gatehouse-iam/gatehouse/iam"
	"github.com/gatehouse-iam/gatehouse/store"
)

func init() {
	register("CreateAccount", createAccount)
	register("DescribeCreateAccountStatus", describeCreateAccountStatus)
	register("ListCreateAccountStatus", listCreateAccountStatus)
	register("DescribeAccount", describeAccount)
	register("ListAccounts", listAccounts)
	register("ListAccountsForParent", listAccountsForParent)
	register("MoveAccount", moveAccount)
	register("RemoveAccountFromOrganization", removeAccount)
	register("CloseAccount", closeAccount)
}

// accessRoleTrust is the trust policy of OrganizationAccountAccessRole: the
// management account may assume it.
func accessRoleTrust(partition, management string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:` + partition +
		`:iam::` + management + `:root"},"Action":"sts:AssumeRole"}]}`
}

func createAccount(s *Service, c *iam.Call) (any, error) {
	name, email := c.Params.String("AccountName"), c.Params.String("Email")
	roleName := c.Params.String("RoleName")
	if roleName == "" {
		roleName = "OrganizationAccountAccessRole"
	}
	id := newAccountID()
	var status *createStatus
	var management string
	err := s.modify(c, func(tx store.Tx, st *state) error {
		for _, a := range st.Accounts {
			if a.Email == email {
				return awserr.New("DuplicateAccountException", "That account is already a member of an organization.")
			}
		}
		status = &createStatus{ID: "car-" + randomID(32, lowerAlnum),
			AccountName: name, State: "SUCCEEDED", Requested: c.Now, Completed: c.Now, AccountID: id}
		st.CreateStatuses[status.ID] = status
		st.Accounts[id] = &account{ID: id, Name: name, Email: email, Status: "ACTIVE", State: "ACTIVE",
			JoinedMethod: "CREATED", Joined: c.Now, Parent: st.RootID}
		attachDefaults(st, id)
		if tags := c.Params.Structs("Tags"); len(tags) > 0 {
			for _, t := range tags {
				st.Tags[id] = append(st.Tags[id], Tag{Key: t.String("Key"), Value: t.String("Value")})
			}
		}
		management = st.ManagementAccount
		_, err := tx.Create(c.Ctx, store.Record{Kind: kindMember, ID: id, Data: []byte(st.ID)})
		return err
	})
	if err != nil {
		return nil, err
	}
	// The new account's IAM: its account record and the role the management
	// account uses to administer it.
	if err := s.iam.Bootstrap(c.Ctx, id, "", ""); err != nil {
		return nil, err
	}
	if err := s.iam.ProvisionRole(c.Ctx, id, roleName, accessRoleTrust(s.partition, management),
		[]string{"arn:" + s.partition + ":iam::aws:policy/AdministratorAccess"}); err != nil {
		return nil, err
	}
	return map[string]any{"CreateAccountStatus": statusOutput(status)}, nil
}

func statusOutput(cs *createStatus) map[string]any {
	return map[string]any{"Id": cs.ID, "AccountName": cs.AccountName, "State": cs.State,
		"RequestedTimestamp": cs.Requested, "CompletedTimestamp": cs.Completed, "AccountId": cs.AccountID}
}

func describeCreateAccountStatus(s *Service, c *iam.Call) (any, error) {
	id := c.Params.String("CreateAccountRequestId")
	var out any
	err := s.read(c, func(st *state) error {
		cs, ok := st.CreateStatuses[id]
		if !ok {
			return awserr.New("CreateAccountStatusNotFoundException", "We can't find an create account request with the CreateAccountRequestId that you specified.")
		}
		out = map[string]any{"CreateAccountStatus": statusOutput(cs)}
		return nil
	})
	return out, err
}

func listCreateAccountStatus(s *Service, c *iam.Call) (any, error) {
	states := c.Params.Strings("States")
	var list []map[string]any
	err := s.read(c, func(st *state) error {
		for _, cs := range st.CreateStatuses {
			if len(states) > 0 && !contains(states, cs.State) {
				continue
			}
			list = append(list, statusOutput(cs))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(list, func(i, j int) bool { return list[i]["Id"].(string) < list[j]["Id"].(string) })
	return listOutput(c, "CreateAccountStatuses", nonNil(list))
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func nonNil[T any](list []T) []T {
	if list == nil {
		return []T{}
	}
	return list
}

func accountNotFound() error {
	return awserr.New("AccountNotFoundException", "You specified an account that doesn't exist.")
}

func describeAccount(s *Service, c *iam.Call) (any, error) {
	id := c.Params.String("AccountId")
	var out any
	err := s.read(c, func(st *state) error {
		a, ok := st.Accounts[id]
		if !ok {
			return accountNotFound()
		}
		out = map[string]any{"Account": s.accountOutput(st, a)}
		return nil
	})
	return out, err
}

// sortedAccounts lists accounts by id, optionally only the children of a
// parent.
func (s *Service) sortedAccounts(st *state, parent string) []map[string]any {
	var ids []string
	for id, a := range st.Accounts {
		if parent == "" || a.Parent == parent {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	out := []map[string]any{}
	for _, id := range ids {
		out = append(out, s.accountOutput(st, st.Accounts[id]))
	}
	return out
}

func listAccounts(s *Service, c *iam.Call) (any, error) {
	var list []map[string]any
	err := s.read(c, func(st *state) error {
		list = s.sortedAccounts(st, "")
		return nil
	})
	if err != nil {
		return nil, err
	}
	return listOutput(c, "Accounts", list)
}

func listAccountsForParent(s *Service, c *iam.Call) (any, error) {
	parent := c.Params.String("ParentId")
	var list []map[string]any
	err := s.read(c, func(st *state) error {
		if _, ok := st.OUs[parent]; !ok && parent != st.RootID {
			return parentNotFound()
		}
		list = s.sortedAccounts(st, parent)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return listOutput(c, "Accounts", list)
}

func parentNotFound() error {
	return awserr.New("ParentNotFoundException", "We can't find a root or OU with the ParentId that you specified.")
}

func moveAccount(s *Service, c *iam.Call) (any, error) {
	id, src, dst := c.Params.String("AccountId"), c.Params.String("SourceParentId"), c.Params.String("DestinationParentId")
	return nil, s.modify(c, func(_ store.Tx, st *state) error {
		a, ok := st.Accounts[id]
		if !ok {
			return accountNotFound()
		}
		if _, ok := st.OUs[src]; !ok && src != st.RootID {
			return awserr.New("SourceParentNotFoundException", "We can't find a source root or OU with the ParentId that you specified.")
		}
		if _, ok := st.OUs[dst]; !ok && dst != st.RootID {
			return awserr.New("DestinationParentNotFoundException", "We can't find a destination root or OU with the ParentId that you specified.")
		}
		if a.Parent != src {
			return awserr.New("AccountNotFoundException", "You specified an account that doesn't exist in the source parent.")
		}
		if src == dst {
			return awserr.New("DuplicateAccountException", "That account is already in the destination parent.")
		}
		a.Parent = dst
		return nil
	})
}

// detachAll removes a target's policy attachments and tags.
func detachAll(st *state, id string) {
	delete(st.Attachments, id)
	delete(st.Tags, id)
}

func removeAccount(s *Service, c *iam.Call) (any, error) {
	id := c.Params.String("AccountId")
	return nil, s.modify(c, func(tx store.Tx, st *state) error {
		if _, ok := st.Accounts[id]; !ok {
			return accountNotFound()
		}
		if id == st.ManagementAccount {
			return constraint("ACCOUNT_CANNOT_LEAVE_ORGANIZATION", "You can't remove the management account from its organization.")
		}
		delete(st.Accounts, id)
		detachAll(st, id)
		return tx.Delete(c.Ctx, store.Key{Kind: kindMember, ID: id}, 0)
	})
}

func closeAccount(s *Service, c *iam.Call) (any, error) {
	id := c.Params.String("AccountId")
	return nil, s.modify(c, func(_ store.Tx, st *state) error {
		a, ok := st.Accounts[id]
		if !ok {
			return accountNotFound()
		}
		if id == st.ManagementAccount {
			return constraint("CANNOT_CLOSE_MANAGEMENT_ACCOUNT", "You can't close the management account with this operation.")
		}
		if a.Status != "ACTIVE" {
			return awserr.New("AccountAlreadyClosedException", "You have already closed the account.")
		}
		a.Status, a.State = "SUSPENDED", "CLOSED"
		return nil
	})
}

func init() {
	register("LeaveOrganization", leaveOrganization)
}

// leaveOrganization removes the calling member account from its
// organization.
func leaveOrganization(s *Service, c *iam.Call) (any, error) {
	err := s.store.Update(c.Ctx, func(tx store.Tx) error {
		st, err := load(c.Ctx, tx, c.Account)
		if err != nil {
			return err
		}
		if st.ManagementAccount == c.Account {
			return constraint("ACCOUNT_CANNOT_LEAVE_ORGANIZATION", "You can't remove the management account from its organization.")
		}
		delete(st.Accounts, c.Account)
		detachAll(st, c.Account)
		if err := tx.Delete(c.Ctx, store.Key{Kind: kindMember, ID: c.Account}, 0); err != nil {
			return err
		}
		return save(c.Ctx, tx, st)
	})
	if err != nil {
		return nil, err
	}
	return nil, s.Reload(c.Ctx)
}
