package orgs

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"sort"
	"strconv"
	"strings"

	"github.com/gatehouse-iam/gatehouse/awserr"
	"github.com/gatehouse-iam/gatehouse/iam"
	"github.com/gatehouse-iam/gatehouse/policy"
	"github.com/gatehouse-iam/gatehouse/protocol"
	"github.com/gatehouse-iam/gatehouse/store"
)

// Operation is one Organizations API operation.
type Operation struct {
	Name   string
	Handle func(s *Service, c *iam.Call) (any, error)
}

var operations = map[string]*Operation{}

func register(name string, h func(s *Service, c *iam.Call) (any, error)) {
	operations[name] = &Operation{Name: name, Handle: h}
}

// Operation returns the named operation.
func (s *Service) Operation(name string) (*Operation, bool) {
	op, ok := operations[name]
	return op, ok
}

// Operations lists the implemented operations.
func Operations() []string {
	out := make([]string, 0, len(operations))
	for n := range operations {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// ARNs.
func (s *Service) orgARN(st *state) string {
	return "arn:" + s.partition + ":organizations::" + st.ManagementAccount + ":organization/" + st.ID
}
func (s *Service) rootARN(st *state) string {
	return "arn:" + s.partition + ":organizations::" + st.ManagementAccount + ":root/" + st.ID + "/" + st.RootID
}
func (s *Service) ouARN(st *state, id string) string {
	return "arn:" + s.partition + ":organizations::" + st.ManagementAccount + ":ou/" + st.ID + "/" + id
}
func (s *Service) accountARN(st *state, id string) string {
	return "arn:" + s.partition + ":organizations::" + st.ManagementAccount + ":account/" + st.ID + "/" + id
}
func (s *Service) policyARN(st *state, p *orgPolicy) string {
	typ := strings.ToLower(p.Type)
	if _, aws := awsPolicies[p.ID]; aws {
		return "arn:" + s.partition + ":organizations::aws:policy/" + typ + "/" + p.ID
	}
	return "arn:" + s.partition + ":organizations::" + st.ManagementAccount + ":policy/" + st.ID + "/" + typ + "/" + p.ID
}

func randomID(n int, alphabet string) string {
	b := make([]byte, n)
	for i := range b {
		v, _ := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		b[i] = alphabet[v.Int64()]
	}
	return string(b)
}

const lowerAlnum = "abcdefghijklmnopqrstuvwxyz0123456789"

func (s *Service) organizationOutput(st *state) map[string]any {
	types := []map[string]any{}
	for _, t := range st.RootPolicyTypes {
		if t.Status == "ENABLED" {
			types = append(types, map[string]any{"Type": t.Type, "Status": t.Status})
		}
	}
	return map[string]any{"Id": st.ID, "Arn": s.orgARN(st), "FeatureSet": st.FeatureSet,
		"MasterAccountArn": s.accountARN(st, st.ManagementAccount), "MasterAccountId": st.ManagementAccount,
		"MasterAccountEmail": st.ManagementEmail, "AvailablePolicyTypes": types}
}

func (s *Service) rootOutput(st *state) map[string]any {
	types := []map[string]any{}
	for _, t := range st.RootPolicyTypes {
		types = append(types, map[string]any{"Type": t.Type, "Status": t.Status})
	}
	return map[string]any{"Id": st.RootID, "Arn": s.rootARN(st), "Name": "Root", "PolicyTypes": types}
}

func (s *Service) accountOutput(st *state, a *account) map[string]any {
	return map[string]any{"Id": a.ID, "Arn": s.accountARN(st, a.ID), "Email": a.Email, "Name": a.Name,
		"Status": a.Status, "State": a.State, "JoinedMethod": a.JoinedMethod, "JoinedTimestamp": a.Joined}
}

func (s *Service) ouOutput(st *state, o *ou) map[string]any {
	return map[string]any{"Id": o.ID, "Arn": s.ouARN(st, o.ID), "Name": o.Name}
}

func (s *Service) policySummary(st *state, p *orgPolicy) map[string]any {
	_, aws := awsPolicies[p.ID]
	return map[string]any{"Id": p.ID, "Arn": s.policyARN(st, p), "Name": p.Name, "Description": p.Description,
		"Type": p.Type, "AwsManaged": aws}
}

// paginate applies NextToken/MaxResults to a list.
func paginate[T any](p protocol.Params, items []T) ([]T, string, error) {
	start := 0
	if tok := p.String("NextToken"); tok != "" {
		n, err := strconv.Atoi(tok)
		if err != nil || n < 0 || n > len(items) {
			return nil, "", invalidInput("INVALID_PAGINATION_TOKEN", "The provided pagination token is not valid.")
		}
		start = n
	}
	max := len(items)
	if m, ok := p.Int("MaxResults"); ok {
		max = int(m)
	}
	end := start + max
	if end >= len(items) {
		return items[start:], "", nil
	}
	return items[start:end], strconv.Itoa(end), nil
}

func listOutput[T any](c *iam.Call, member string, items []T) (any, error) {
	pg, next, err := paginate(c.Params, items)
	if err != nil {
		return nil, err
	}
	out := map[string]any{member: pg}
	if next != "" {
		out["NextToken"] = next
	}
	return out, nil
}

func invalidInput(reason, msg string) error {
	return protocol.WithFields(awserr.New("InvalidInputException", msg), map[string]any{"Reason": reason})
}

func constraint(reason, msg string) error {
	return protocol.WithFields(awserr.New("ConstraintViolationException", msg), map[string]any{"Reason": reason})
}

func init() {
	register("CreateOrganization", createOrganization)
	register("DescribeOrganization", func(s *Service, c *iam.Call) (any, error) {
		var out any
		err := s.readAs(c, false, func(st *state) error {
			out = map[string]any{"Organization": s.organizationOutput(st)}
			return nil
		})
		return out, err
	})
	register("DeleteOrganization", deleteOrganization)
	register("ListRoots", func(s *Service, c *iam.Call) (any, error) {
		var roots []map[string]any
		err := s.read(c, func(st *state) error {
			roots = []map[string]any{s.rootOutput(st)}
			return nil
		})
		if err != nil {
			return nil, err
		}
		return listOutput(c, "Roots", roots)
	})
}

func createOrganization(s *Service, c *iam.Call) (any, error) {
	feature := c.Params.String("FeatureSet")
	if feature == "" {
		feature = "ALL"
	}
	st := &state{ID: "o-" + randomID(10, lowerAlnum), ManagementAccount: c.Account,
		ManagementEmail: "management@" + c.Account + ".example.com", FeatureSet: feature,
		RootID: "r-" + randomID(4, lowerAlnum), OUs: map[string]*ou{}, Accounts: map[string]*account{},
		Policies: map[string]*orgPolicy{}, Attachments: map[string][]string{}, Tags: map[string][]Tag{},
		CreateStatuses: map[string]*createStatus{}}
	st.Accounts[c.Account] = &account{ID: c.Account, Name: "Management", Email: st.ManagementEmail, Status: "ACTIVE",
		State: "ACTIVE", JoinedMethod: "CREATED", Joined: c.Now, Parent: st.RootID}
	// A new organization's root has no policy type enabled, as on AWS
	// (Terraform's enabled_policy_types and the console enable SCPs with
	// EnablePolicyType), although the API reference says otherwise.
	err := s.store.Update(c.Ctx, func(tx store.Tx) error {
		if _, err := tx.Get(c.Ctx, store.Key{Kind: kindMember, ID: c.Account}); err == nil {
			return awserr.New("AlreadyInOrganizationException", "The AWS account is already a member of an organization.")
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		data, _ := json.Marshal(st)
		if _, err := tx.Create(c.Ctx, store.Record{Kind: kindOrganization, ID: st.ID, Data: data}); err != nil {
			return err
		}
		_, err := tx.Create(c.Ctx, store.Record{Kind: kindMember, ID: c.Account, Data: []byte(st.ID)})
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := s.Reload(c.Ctx); err != nil {
		return nil, err
	}
	return map[string]any{"Organization": s.organizationOutput(st)}, nil
}

func deleteOrganization(s *Service, c *iam.Call) (any, error) {
	err := s.store.Update(c.Ctx, func(tx store.Tx) error {
		st, err := load(c.Ctx, tx, c.Account)
		if err != nil {
			return err
		}
		if st.ManagementAccount != c.Account {
			return errNotManagement()
		}
		if len(st.Accounts) > 1 {
			return awserr.New("OrganizationNotEmptyException", "To delete an organization you must first remove all member accounts (except the master).")
		}
		if err := tx.Delete(c.Ctx, store.Key{Kind: kindMember, ID: c.Account}, 0); err != nil {
			return err
		}
		return tx.Delete(c.Ctx, store.Key{Kind: kindOrganization, ID: st.ID}, 0)
	})
	if err != nil {
		return nil, err
	}
	return nil, s.Reload(c.Ctx)
}

// enablePolicyType enables a type at the root and attaches its AWS managed
// full-access policy to every root, OU and account, as AWS does.
func enablePolicyType(st *state, typ string) {
	st.RootPolicyTypes = append(st.RootPolicyTypes, PolicyTypeSummary{Type: typ, Status: "ENABLED"})
	full := fullAccessID
	if typ == RCP {
		full = rcpFullAccessID
	}
	attach(st, full, st.RootID)
	for id := range st.OUs {
		attach(st, full, id)
	}
	for id := range st.Accounts {
		attach(st, full, id)
	}
}

func attach(st *state, policyID, target string) {
	for _, p := range st.Attachments[target] {
		if p == policyID {
			return
		}
	}
	st.Attachments[target] = append(st.Attachments[target], policyID)
}

// attachDefaults attaches the full-access policies of the enabled types to a
// new OU or account.
func attachDefaults(st *state, target string) {
	if st.enabled(SCP) {
		attach(st, fullAccessID, target)
	}
	if st.enabled(RCP) {
		attach(st, rcpFullAccessID, target)
	}
}

// checkPolicy validates a policy's content for its type.
func checkPolicy(typ, content string) error {
	kind := policy.SCP
	switch typ {
	case SCP:
	case RCP:
		kind = policy.RCP
	default:
		return invalidInput("INVALID_ENUM_POLICY_TYPE", "You specified an invalid policy type: "+typ+". Gatehouse supports SERVICE_CONTROL_POLICY and RESOURCE_CONTROL_POLICY.")
	}
	if len(content) > 5120 {
		return constraint("POLICY_CONTENT_LIMIT_EXCEEDED", "Policy content exceeds the maximum size of 5120 characters.")
	}
	if _, err := policy.Parse(content, kind); err != nil {
		msg := err.Error()
		if pe, ok := err.(*policy.Error); ok {
			msg = pe.Message
		}
		return awserr.New("MalformedPolicyDocumentException", msg)
	}
	return nil
}

func newAccountID() string {
	n, _ := rand.Int(rand.Reader, big.NewInt(9e11))
	return fmt.Sprintf("%012d", n.Int64()+1e11)
}
