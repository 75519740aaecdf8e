package iam

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"unicode"

	"github.com/google/uuid"

	"github.com/gatehouse-iam/gatehouse/awserr"
	"github.com/gatehouse-iam/gatehouse/store"
)

// kindSLRDeletion is a service-linked role deletion task; ID: the task id.
const kindSLRDeletion = "iam.slrdeletion"

// maxRoleName is the longest role name IAM accepts.
const maxRoleName = 64

func init() {
	register(
		&Operation{Name: "CreateServiceLinkedRole", Resource: newServiceLinkedRoleResource, Handle: createServiceLinkedRole},
		&Operation{Name: "DeleteServiceLinkedRole", Resource: roleResource, Handle: deleteServiceLinkedRole},
		&Operation{Name: "GetServiceLinkedRoleDeletionStatus", Resource: deletionTaskResource, Handle: getSLRDeletionStatus},
	)
}

// linkedService is what IAM knows of a service that has a service-linked
// role: the role name suffix after "AWSServiceRoleFor", the AWS managed
// policy attached to the role, and whether CustomSuffix is accepted.
type linkedService struct {
	name         string
	policy       string
	customSuffix bool
}

// linkedServices are services whose role names and policies are known;
// serviceLinked derives the others.
var linkedServices = map[string]linkedService{
	"autoscaling.amazonaws.com":          {"AutoScaling", "AutoScalingServiceRolePolicy", true},
	"ecs.amazonaws.com":                  {"ECS", "AmazonECSServiceRolePolicy", false},
	"elasticbeanstalk.amazonaws.com":     {"ElasticBeanstalk", "AWSElasticBeanstalkServiceRolePolicy", false},
	"elasticloadbalancing.amazonaws.com": {"ElasticLoadBalancing", "AWSElasticLoadBalancingServiceRolePolicy", false},
	"es.amazonaws.com":                   {"AmazonElasticsearchService", "AmazonElasticsearchServiceRolePolicy", false},
	"opensearchservice.amazonaws.com":    {"AmazonOpenSearchService", "AmazonOpenSearchServiceRolePolicy", false},
	"organizations.amazonaws.com":        {"Organizations", "AWSOrganizationsServiceTrustPolicy", false},
	"rds.amazonaws.com":                  {"RDS", "AmazonRDSServiceRolePolicy", false},
	"spot.amazonaws.com":                 {"EC2Spot", "AWSEC2SpotServiceRolePolicy", false},
	"spotfleet.amazonaws.com":            {"EC2SpotFleet", "AWSEC2SpotFleetServiceRolePolicy", false},
	"support.amazonaws.com":              {"Support", "AWSSupportServiceRolePolicy", false},
	"trustedadvisor.amazonaws.com":       {"TrustedAdvisor", "AWSTrustedAdvisorServiceRolePolicy", false},
	"eks.amazonaws.com":                  {"AmazonEKS", "AmazonEKSServiceRolePolicy", false},
	"cloudtrail.amazonaws.com":           {"CloudTrail", "CloudTrailServiceRolePolicy", false},
	"config.amazonaws.com":               {"Config", "AWSConfigServiceRolePolicy", false},
	"sso.amazonaws.com":                  {"SSO", "AWSSSOServiceRolePolicy", false},
	"access-analyzer.amazonaws.com":      {"AccessAnalyzer", "AccessAnalyzerServiceRolePolicy", false},
}

// serviceRolePolicies indexes the AWS managed policies of service-linked
// roles (path /aws-service-role/, named [AWS|Amazon]<Name>ServiceRolePolicy)
// by the lower-cased service name they are for, without hyphens.
var serviceRolePolicies = sync.OnceValue(func() map[string]linkedService {
	const suffix = "ServiceRolePolicy"
	out := map[string]linkedService{}
	for _, ap := range awsManagedPolicies() {
		base, ok := strings.CutSuffix(ap.Name, suffix)
		if ap.Path != "/aws-service-role/" || !ok || base == "" {
			continue
		}
		// AWS keeps "Amazon" in role names and drops "AWS":
		// AmazonGuardDutyServiceRolePolicy is AWSServiceRoleForAmazonGuardDuty's,
		// AWSSecurityHubServiceRolePolicy AWSServiceRoleForSecurityHub's.
		name := strings.TrimPrefix(base, "AWS")
		ls := linkedService{name: name, policy: ap.Name, customSuffix: true}
		for _, key := range []string{lower(name), strings.TrimPrefix(lower(name), "amazon")} {
			if _, taken := out[key]; !taken {
				out[key] = ls
			}
		}
	}
	return out
})

// serviceLinked describes the service of an AWSServiceName, or false when
// the name is not a service principal. Services not in linkedServices get
// the name and policy of a matching service-linked role policy, or else
// the principal's label with its first letter (and each after a hyphen) in
// upper case and no policy.
func serviceLinked(service string) (linkedService, bool) {
	if ls, ok := linkedServices[service]; ok {
		return ls, true
	}
	label, ok := strings.CutSuffix(service, ".amazonaws.com")
	if !ok || label == "" || strings.Contains(label, ".") {
		return linkedService{}, false
	}
	if ls, ok := serviceRolePolicies()[strings.ReplaceAll(label, "-", "")]; ok {
		return ls, true
	}
	var b strings.Builder
	up := true
	for _, r := range label {
		switch {
		case r == '-':
			up = true
			continue
		case up:
			r = unicode.ToUpper(r)
		}
		up = false
		b.WriteRune(r)
	}
	return linkedService{name: b.String(), customSuffix: true}, true
}

// serviceTrustPolicy is the trust policy of a service-linked role.
func serviceTrustPolicy(service string) string {
	doc, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
		"Effect": "Allow", "Principal": map[string]any{"Service": service}, "Action": "sts:AssumeRole"}}})
	return string(doc)
}

func serviceRoleName(ls linkedService, suffix string) string {
	name := "AWSServiceRoleFor" + ls.name
	if suffix != "" {
		name += "_" + suffix
	}
	return name
}

func newServiceLinkedRoleResource(s *Service, c *Call) string {
	service := c.Params.String("AWSServiceName")
	c.Context.Set("iam:AWSServiceName", service)
	ls, _ := serviceLinked(service)
	return s.arn(c.Account, "role", "/aws-service-role/"+service+"/", serviceRoleName(ls, c.Params.String("CustomSuffix")))
}

func createServiceLinkedRole(s *Service, c *Call) (any, error) {
	service, suffix := c.Params.String("AWSServiceName"), c.Params.String("CustomSuffix")
	ls, ok := serviceLinked(service)
	if !ok {
		return nil, awserr.New("InvalidInput", "Invalid service name: "+service+".")
	}
	if suffix != "" && !ls.customSuffix {
		return nil, awserr.New("InvalidInput", "Custom suffix is not allowed for "+service+".")
	}
	name := serviceRoleName(ls, suffix)
	if len(name) > maxRoleName {
		return nil, awserr.New("InvalidInput", fmt.Sprintf("The role name %s is longer than %d characters: use a shorter CustomSuffix.", name, maxRoleName))
	}
	r := &Role{Path: "/aws-service-role/" + service + "/", RoleName: name, RoleId: newID(prefixRole), CreateDate: c.Now,
		AssumeRolePolicyDocument: serviceTrustPolicy(service), Description: c.Params.String("Description"),
		MaxSessionDuration: 3600, ServiceLinked: true}
	r.Arn = s.arn(c.Account, "role", r.Path, name)
	if ap, ok := awsManagedPolicy("arn:" + s.partition + ":iam::aws:policy/aws-service-role/" + ls.policy); ls.policy != "" && ok {
		r.Attached = []AttachedPolicy{{PolicyName: ap.Name, PolicyArn: ap.ARN}}
	}
	err := s.update(c.Ctx, func(tx store.Tx) error {
		n, err := countKind(c, tx, kindRole)
		if err != nil {
			return err
		}
		if err := quota(n, s.quotas.RolesPerAccount, "RolesPerAccount"); err != nil {
			return err
		}
		return put(c.Ctx, tx, kindRole, c.Account, lower(name), "", r, true)
	})
	if errors.Is(err, store.ErrExists) {
		return nil, awserr.New("InvalidInput", "Service role name "+name+" has been taken in this account, please try a different suffix.")
	}
	if err != nil {
		return nil, err
	}
	return map[string]any{"Role": roleOutput(r, false)}, nil
}

// SLRDeletion is a service-linked role deletion task. Gatehouse deletes the
// role at once: a task is SUCCEEDED when it is created.
type SLRDeletion struct {
	DeletionTaskId string
	Status         string
}

func deletionTaskResource(s *Service, c *Call) string {
	// task/aws-service-role/SERVICE/ROLE/UUID names the role it deletes.
	parts := strings.Split(c.Params.String("DeletionTaskId"), "/")
	if len(parts) == 5 && parts[0] == "task" && parts[1] == "aws-service-role" {
		return s.arn(c.Account, "role", "/aws-service-role/"+parts[2]+"/", parts[3])
	}
	return s.arn(c.Account, "role", "/", "*")
}

func deleteServiceLinkedRole(s *Service, c *Call) (any, error) {
	name := c.Params.String("RoleName")
	var task *SLRDeletion
	err := s.update(c.Ctx, func(tx store.Tx) error {
		r, _, err := get[Role](c.Ctx, tx, kindRole, c.Account, lower(name), roleMissing(name))
		if err != nil {
			return err
		}
		if !r.ServiceLinked {
			return awserr.New("InvalidInput", "Role "+name+" is not a service-linked role.")
		}
		if len(r.Inline) > 0 {
			return awserr.New("DeleteConflict", "Cannot delete entity, must delete policies first.")
		}
		for _, ap := range r.Attached {
			if err := s.countAttachment(c, tx, ap.PolicyArn, -1); err != nil {
				return err
			}
		}
		if n, err := s.profilesWithRole(c, tx, r.RoleName); err != nil {
			return err
		} else if n > 0 {
			return awserr.New("DeleteConflict", "Cannot delete entity, must remove roles from instance profile first.")
		}
		service := strings.TrimSuffix(strings.TrimPrefix(r.Path, "/aws-service-role/"), "/")
		task = &SLRDeletion{DeletionTaskId: "task/aws-service-role/" + service + "/" + r.RoleName + "/" + uuid.NewString(),
			Status: "SUCCEEDED"}
		if err := tx.Delete(c.Ctx, store.Key{Kind: kindRole, Account: c.Account, ID: lower(name)}, 0); err != nil {
			return err
		}
		return put(c.Ctx, tx, kindSLRDeletion, c.Account, task.DeletionTaskId, "", task, true)
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"DeletionTaskId": task.DeletionTaskId}, nil
}

func getSLRDeletionStatus(s *Service, c *Call) (any, error) {
	id := c.Params.String("DeletionTaskId")
	var task *SLRDeletion
	err := s.store.View(c.Ctx, func(tx store.Tx) error {
		var err error
		task, _, err = get[SLRDeletion](c.Ctx, tx, kindSLRDeletion, c.Account, id, "Deletion task "+id+" cannot be found.")
		return err
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"Status": task.Status}, nil
}
