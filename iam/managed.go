package iam

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/gatehouse-iam/gatehouse/awserr"
	"github.com/gatehouse-iam/gatehouse/policy"
	"github.com/gatehouse-iam/gatehouse/store"
)

func init() {
	register(
		&Operation{Name: "CreatePolicy", Resource: newPolicyResource, Handle: createPolicy},
		&Operation{Name: "GetPolicy", Resource: policyResource, Handle: getPolicy},
		&Operation{Name: "DeletePolicy", Resource: policyResource, Handle: deletePolicy},
		&Operation{Name: "ListPolicies", Resource: accountResource("policy"), Handle: listPolicies},
		&Operation{Name: "CreatePolicyVersion", Resource: policyResource, Handle: createPolicyVersion},
		&Operation{Name: "GetPolicyVersion", Resource: policyResource, Handle: getPolicyVersion},
		&Operation{Name: "DeletePolicyVersion", Resource: policyResource, Handle: deletePolicyVersion},
		&Operation{Name: "ListPolicyVersions", Resource: policyResource, Handle: listPolicyVersions},
		&Operation{Name: "SetDefaultPolicyVersion", Resource: policyResource, Handle: setDefaultPolicyVersion},
		&Operation{Name: "TagPolicy", Resource: tagResource(policyResource), Handle: tagPolicy},
		&Operation{Name: "UntagPolicy", Resource: untagResource(policyResource), Handle: untagPolicy},
		&Operation{Name: "ListPolicyTags", Resource: policyResource, Handle: listPolicyTags},
	)
}

func policyResource(s *Service, c *Call) string { return c.Params.String("PolicyArn") }

func newPolicyResource(s *Service, c *Call) string {
	if tags, err := s.tagsParam(c.Params, "Tags"); err == nil {
		requestTagKeys(c, tags)
	}
	return s.arn(c.Account, "policy", pathOrRoot(c.Params), c.Params.String("PolicyName"))
}

func tagResource(inner func(*Service, *Call) string) func(*Service, *Call) string {
	return func(s *Service, c *Call) string {
		if tags, err := s.tagsParam(c.Params, "Tags"); err == nil {
			requestTagKeys(c, tags)
		}
		return inner(s, c)
	}
}

func untagResource(inner func(*Service, *Call) string) func(*Service, *Call) string {
	return func(s *Service, c *Call) string {
		if keys := c.Params.Strings("TagKeys"); len(keys) > 0 {
			c.Context.Set("aws:TagKeys", keys...)
		}
		return inner(s, c)
	}
}

func noSuchPolicy(arn string) error {
	return awserr.New("NoSuchEntity", "Policy "+arn+" does not exist or is not attachable.")
}

// policyOutput is the Policy structure IAM returns.
func policyOutput(p *Policy) map[string]any {
	out := map[string]any{
		"PolicyName": p.PolicyName, "PolicyId": p.PolicyId, "Arn": p.Arn, "Path": p.Path,
		"DefaultVersionId": p.DefaultVersionId, "AttachmentCount": int64(p.Attachments),
		"PermissionsBoundaryUsageCount": int64(p.BoundaryAttachments), "IsAttachable": true,
		"CreateDate": p.CreateDate, "UpdateDate": p.UpdateDate,
	}
	if p.Description != "" {
		out["Description"] = p.Description
	}
	if len(p.Tags) > 0 {
		out["Tags"] = p.Tags
	}
	return out
}

// checkManagedDocument validates a managed policy document and its size.
func (s *Service) checkManagedDocument(doc string) error {
	if err := checkDocument(doc, policy.Identity); err != nil {
		return err
	}
	if n := policySize(doc); n > s.quotas.ManagedPolicySize {
		return awserr.New("LimitExceeded", fmt.Sprintf("Cannot exceed quota for PolicySize: %d", s.quotas.ManagedPolicySize))
	}
	return nil
}

func createPolicy(s *Service, c *Call) (any, error) {
	name, doc := c.Params.String("PolicyName"), c.Params.String("PolicyDocument")
	if err := s.checkManagedDocument(doc); err != nil {
		return nil, err
	}
	tags, err := s.tagsParam(c.Params, "Tags")
	if err != nil {
		return nil, err
	}
	p := &Policy{PolicyName: name, PolicyId: newID(prefixPolicy), Path: pathOrRoot(c.Params),
		Description: c.Params.String("Description"), DefaultVersionId: "v1", NextVersion: 2,
		CreateDate: c.Now, UpdateDate: c.Now, Tags: tags,
		Versions: []PolicyVersion{{VersionId: "v1", Document: doc, IsDefaultVersion: true, CreateDate: c.Now}}}
	p.Arn = s.arn(c.Account, "policy", p.Path, name)
	err = s.update(c.Ctx, func(tx store.Tx) error {
		n, err := countKind(c, tx, kindPolicy)
		if err != nil {
			return err
		}
		if err := quota(n, s.quotas.PoliciesPerAccount, "PoliciesPerAccount"); err != nil {
			return err
		}
		return exists(put(c.Ctx, tx, kindPolicy, c.Account, lower(name), "", p, true),
			"A policy called "+name+" already exists. Duplicate names are not allowed.")
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"Policy": policyOutput(p)}, nil
}

// customerPolicyID returns the record ID of a customer managed policy ARN in
// the caller's account, or false for other ARNs.
func (s *Service) customerPolicyID(c *Call, arn string) (string, bool) {
	prefix := "arn:" + s.partition + ":iam::" + c.Account + ":policy/"
	if !strings.HasPrefix(arn, prefix) {
		return "", false
	}
	return lower(arn[strings.LastIndexByte(arn, '/')+1:]), true
}

// readPolicy loads a customer managed policy by ARN.
func (s *Service) readPolicy(c *Call, tx store.Tx, arn string) (*Policy, error) {
	id, ok := s.customerPolicyID(c, arn)
	if !ok {
		return nil, noSuchPolicy(arn)
	}
	p, _, err := get[Policy](c.Ctx, tx, kindPolicy, c.Account, id, "")
	if err != nil || p.Arn != arn {
		return nil, noSuchPolicy(arn)
	}
	return p, nil
}

// viewPolicy reads a customer managed policy by ARN.
func (s *Service) viewPolicy(c *Call, arn string) (*Policy, error) {
	var p *Policy
	err := s.store.View(c.Ctx, func(tx store.Tx) error {
		var err error
		p, err = s.readPolicy(c, tx, arn)
		return err
	})
	return p, err
}

// modifyPolicy reads, changes and writes a customer managed policy.
func (s *Service) modifyPolicy(c *Call, arn string, fn func(tx store.Tx, p *Policy) error) error {
	return s.update(c.Ctx, func(tx store.Tx) error {
		p, err := s.readPolicy(c, tx, arn)
		if err != nil {
			return err
		}
		if err := fn(tx, p); err != nil {
			return err
		}
		return put(c.Ctx, tx, kindPolicy, c.Account, lower(p.PolicyName), "", p, false)
	})
}

func getPolicy(s *Service, c *Call) (any, error) {
	arn := c.Params.String("PolicyArn")
	if ap, ok := awsManagedPolicy(arn); ok {
		return map[string]any{"Policy": s.awsPolicyOutput(c, ap)}, nil
	}
	p, err := s.viewPolicy(c, arn)
	if err != nil {
		return nil, err
	}
	return map[string]any{"Policy": policyOutput(p)}, nil
}

func deletePolicy(s *Service, c *Call) (any, error) {
	arn := c.Params.String("PolicyArn")
	return nil, s.update(c.Ctx, func(tx store.Tx) error {
		p, err := s.readPolicy(c, tx, arn)
		if err != nil {
			return err
		}
		switch {
		case p.Attachments > 0 || p.BoundaryAttachments > 0:
			return awserr.New("DeleteConflict", "Cannot delete a policy attached to entities.")
		case len(p.Versions) > 1:
			return awserr.New("DeleteConflict", "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.")
		}
		return tx.Delete(c.Ctx, store.Key{Kind: kindPolicy, Account: c.Account, ID: lower(p.PolicyName)}, 0)
	})
}

func listPolicies(s *Service, c *Call) (any, error) {
	scope := c.Params.String("Scope")
	if scope == "" {
		scope = "All"
	}
	onlyAttached, _ := c.Params.Bool("OnlyAttached")
	// used says whether a policy attached as often and used as a boundary
	// as often is listed: with OnlyAttached, attached or a boundary, or as
	// PolicyUsageFilter narrows it.
	usage := c.Params.String("PolicyUsageFilter")
	used := func(attachments, boundaries int) bool {
		switch {
		case !onlyAttached:
			return true
		case usage == "PermissionsPolicy":
			return attachments > 0
		case usage == "PermissionsBoundary":
			return boundaries > 0
		}
		return attachments > 0 || boundaries > 0
	}
	var out []map[string]any
	if scope != "AWS" {
		var ps []*Policy
		err := s.store.View(c.Ctx, func(tx store.Tx) error {
			var err error
			ps, err = list[Policy](c.Ctx, tx, store.ListOptions{Kind: kindPolicy, Account: c.Account})
			return err
		})
		if err != nil {
			return nil, err
		}
		for _, p := range pathPrefixFilter(c.Params, ps, func(p *Policy) string { return p.Path }) {
			if !used(p.Attachments, p.BoundaryAttachments) {
				continue
			}
			po := policyOutput(p)
			delete(po, "Tags") // listings leave tags out, as AWS's do
			out = append(out, po)
		}
	}
	if scope != "Local" {
		prefix := c.Params.String("PathPrefix")
		attached, boundaries := s.awsPolicyUsage(c.Account)
		for _, ap := range awsManagedPolicies() {
			if !strings.HasPrefix(ap.Path, prefix) || !used(attached[ap.ARN], boundaries[ap.ARN]) {
				continue
			}
			out = append(out, awsPolicyFields(ap, attached[ap.ARN], boundaries[ap.ARN]))
		}
	}
	if out == nil {
		out = []map[string]any{}
	}
	pg, trunc, marker, err := page(c.Params, out, func(m map[string]any) string { return m["Arn"].(string) })
	if err != nil {
		return nil, err
	}
	return listResult("Policies", pg, trunc, marker), nil
}

func createPolicyVersion(s *Service, c *Call) (any, error) {
	arn, doc := c.Params.String("PolicyArn"), c.Params.String("PolicyDocument")
	if err := s.checkManagedDocument(doc); err != nil {
		return nil, err
	}
	setDefault, _ := c.Params.Bool("SetAsDefault")
	var v PolicyVersion
	err := s.modifyPolicy(c, arn, func(_ store.Tx, p *Policy) error {
		if len(p.Versions) >= s.quotas.VersionsPerPolicy {
			return awserr.New("LimitExceeded", fmt.Sprintf("A managed policy can have up to %d versions. Before you create a new version, you must delete an existing version.", s.quotas.VersionsPerPolicy))
		}
		v = PolicyVersion{VersionId: fmt.Sprintf("v%d", p.NextVersion), Document: doc, CreateDate: c.Now}
		p.NextVersion++
		p.UpdateDate = c.Now
		if setDefault {
			for i := range p.Versions {
				p.Versions[i].IsDefaultVersion = false
			}
			v.IsDefaultVersion = true
			p.DefaultVersionId = v.VersionId
		}
		p.Versions = append(p.Versions, v)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"PolicyVersion": map[string]any{"VersionId": v.VersionId,
		"IsDefaultVersion": v.IsDefaultVersion, "CreateDate": v.CreateDate}}, nil
}

func versionOutput(v PolicyVersion) map[string]any {
	return map[string]any{"Document": v.Document, "VersionId": v.VersionId,
		"IsDefaultVersion": v.IsDefaultVersion, "CreateDate": v.CreateDate}
}

func noSuchVersion(arn, id string) error {
	return awserr.New("NoSuchEntity", "Policy "+arn+" version "+id+" does not exist or is not attachable.")
}

func getPolicyVersion(s *Service, c *Call) (any, error) {
	arn, id := c.Params.String("PolicyArn"), c.Params.String("VersionId")
	if ap, ok := awsManagedPolicy(arn); ok {
		if id != ap.DefaultVersion {
			return nil, noSuchVersion(arn, id)
		}
		return map[string]any{"PolicyVersion": versionOutput(PolicyVersion{VersionId: id, Document: ap.Document,
			IsDefaultVersion: true, CreateDate: ap.Updated})}, nil
	}
	p, err := s.viewPolicy(c, arn)
	if err != nil {
		return nil, err
	}
	for _, v := range p.Versions {
		if v.VersionId == id {
			return map[string]any{"PolicyVersion": versionOutput(v)}, nil
		}
	}
	return nil, noSuchVersion(arn, id)
}

func deletePolicyVersion(s *Service, c *Call) (any, error) {
	arn, id := c.Params.String("PolicyArn"), c.Params.String("VersionId")
	return nil, s.modifyPolicy(c, arn, func(_ store.Tx, p *Policy) error {
		for i, v := range p.Versions {
			if v.VersionId != id {
				continue
			}
			if v.IsDefaultVersion {
				return awserr.New("DeleteConflict", "Cannot delete the default version of a policy.")
			}
			p.Versions = append(p.Versions[:i], p.Versions[i+1:]...)
			return nil
		}
		return noSuchVersion(arn, id)
	})
}

func listPolicyVersions(s *Service, c *Call) (any, error) {
	arn := c.Params.String("PolicyArn")
	var versions []map[string]any
	if ap, ok := awsManagedPolicy(arn); ok {
		versions = append(versions, map[string]any{"VersionId": ap.DefaultVersion, "IsDefaultVersion": true, "CreateDate": ap.Updated})
	} else {
		p, err := s.viewPolicy(c, arn)
		if err != nil {
			return nil, err
		}
		for i := len(p.Versions) - 1; i >= 0; i-- {
			v := p.Versions[i]
			versions = append(versions, map[string]any{"VersionId": v.VersionId, "IsDefaultVersion": v.IsDefaultVersion, "CreateDate": v.CreateDate})
		}
	}
	// Newest first, as IAM lists them (v10 before v9).
	pg, trunc, marker, err := page(c.Params, versions, func(m map[string]any) string {
		n, _ := strconv.Atoi(strings.TrimPrefix(m["VersionId"].(string), "v"))
		return fmt.Sprintf("%010d", 1_000_000_000-n)
	})
	if err != nil {
		return nil, err
	}
	return listResult("Versions", pg, trunc, marker), nil
}

func setDefaultPolicyVersion(s *Service, c *Call) (any, error) {
	arn, id := c.Params.String("PolicyArn"), c.Params.String("VersionId")
	return nil, s.modifyPolicy(c, arn, func(_ store.Tx, p *Policy) error {
		found := false
		for i := range p.Versions {
			p.Versions[i].IsDefaultVersion = p.Versions[i].VersionId == id
			found = found || p.Versions[i].IsDefaultVersion
		}
		if !found {
			return noSuchVersion(arn, id)
		}
		p.DefaultVersionId = id
		p.UpdateDate = c.Now
		return nil
	})
}

func tagPolicy(s *Service, c *Call) (any, error) {
	tags, err := s.tagsParam(c.Params, "Tags")
	if err != nil {
		return nil, err
	}
	return nil, s.modifyPolicy(c, c.Params.String("PolicyArn"), func(_ store.Tx, p *Policy) error {
		p.Tags, err = s.mergeTags(p.Tags, tags)
		return err
	})
}

func untagPolicy(s *Service, c *Call) (any, error) {
	keys := c.Params.Strings("TagKeys")
	return nil, s.modifyPolicy(c, c.Params.String("PolicyArn"), func(_ store.Tx, p *Policy) error {
		p.Tags = removeTags(p.Tags, keys)
		return nil
	})
}

func listPolicyTags(s *Service, c *Call) (any, error) {
	p, err := s.viewPolicy(c, c.Params.String("PolicyArn"))
	if err != nil {
		return nil, err
	}
	tags := append([]Tag{}, p.Tags...)
	pg, trunc, marker, err := page(c.Params, tags, func(t Tag) string { return t.Key })
	if err != nil {
		return nil, err
	}
	return listResult("Tags", pg, trunc, marker), nil
}

// attachable checks that a policy ARN names an existing managed policy that
// can be attached and returns its name.
func (s *Service) attachable(c *Call, tx store.Tx, arn string) (string, error) {
	if ap, ok := awsManagedPolicy(arn); ok {
		return ap.Name, nil
	}
	p, err := s.readPolicy(c, tx, arn)
	if err != nil {
		return "", err
	}
	return p.PolicyName, nil
}

// countAttachment keeps a customer managed policy's attachment count.
func (s *Service) countAttachment(c *Call, tx store.Tx, arn string, delta int) error {
	return s.countUse(c, tx, arn, func(p *Policy) { p.Attachments += delta })
}

// countUse applies a change of usage count to a customer managed policy (AWS
// managed policies keep no counts).
func (s *Service) countUse(c *Call, tx store.Tx, arn string, change func(*Policy)) error {
	if _, ok := s.customerPolicyID(c, arn); !ok {
		return nil
	}
	p, err := s.readPolicy(c, tx, arn)
	if err != nil {
		return err
	}
	change(p)
	return put(c.Ctx, tx, kindPolicy, c.Account, lower(p.PolicyName), "", p, false)
}

// checkBoundary checks that a permissions boundary names a managed policy.
func (s *Service) checkBoundary(account, arn string) error {
	if _, ok := awsManagedPolicy(arn); ok {
		return nil
	}
	if _, ok := s.snap.managedPolicy(account, arn); ok {
		return nil
	}
	return awserr.New("NoSuchEntity", "Scope ARN: "+arn+" does not exist or is not attachable.")
}

// countBoundaryUse keeps a customer managed policy's boundary usage count.
func (s *Service) countBoundaryUse(c *Call, tx store.Tx, arn string, delta int) error {
	return s.countUse(c, tx, arn, func(p *Policy) { p.BoundaryAttachments += delta })
}

// hasPolicyPath reports whether a policy ARN's path starts with prefix.
func hasPolicyPath(arn, prefix string) bool {
	i := strings.Index(arn, ":policy")
	if i < 0 {
		return false
	}
	return strings.HasPrefix(arn[i+len(":policy"):], prefix)
}

// awsPolicyOutput renders an AWS managed policy, counting its attachments
// and its uses as a permissions boundary in the caller's account.
func (s *Service) awsPolicyOutput(c *Call, ap *AWSPolicy) map[string]any {
	attached, boundaries := s.awsPolicyUsage(c.Account)
	return awsPolicyFields(ap, attached[ap.ARN], boundaries[ap.ARN])
}

// awsPolicyFields is the Policy structure of an AWS managed policy with the
// account's usage counts.
func awsPolicyFields(ap *AWSPolicy, attachments, boundaries int) map[string]any {
	return map[string]any{
		"PolicyName": ap.Name, "PolicyId": ap.ID, "Arn": ap.ARN, "Path": ap.Path,
		"DefaultVersionId": ap.DefaultVersion, "AttachmentCount": int64(attachments),
		"PermissionsBoundaryUsageCount": int64(boundaries), "IsAttachable": true,
		"Description": ap.Description, "CreateDate": ap.Created, "UpdateDate": ap.Updated,
	}
}

// awsPolicyUsage counts, in one pass over the snapshot of an account's
// users, groups and roles, how often each AWS managed policy is attached and
// used as a permissions boundary, by ARN. (Customer managed policies keep
// their counts in their records.)
func (s *Service) awsPolicyUsage(account string) (attached, boundaries map[string]int) {
	attached, boundaries = map[string]int{}, map[string]int{}
	count := func(list []AttachedPolicy, b *Boundary) {
		for _, a := range list {
			attached[a.PolicyArn]++
		}
		if b != nil {
			boundaries[b.PermissionsBoundaryArn]++
		}
	}
	sn := s.snap
	sn.mu.RLock()
	defer sn.mu.RUnlock()
	prefix := account + "/"
	for k, u := range sn.users {
		if strings.HasPrefix(k, prefix) {
			count(u.Attached, u.PermissionsBoundary)
		}
	}
	for k, g := range sn.groups {
		if strings.HasPrefix(k, prefix) {
			count(g.Attached, nil)
		}
	}
	for k, r := range sn.roles {
		if strings.HasPrefix(k, prefix) {
			count(r.Attached, r.PermissionsBoundary)
		}
	}
	return attached, boundaries
}
