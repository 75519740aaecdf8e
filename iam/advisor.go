package iam

import (
	"context"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/gatehouse-iam/gatehouse/arn"
	"github.com/gatehouse-iam/gatehouse/audit"
	"github.com/gatehouse-iam/gatehouse/awserr"
	"github.com/gatehouse-iam/gatehouse/catalog"
	"github.com/gatehouse-iam/gatehouse/policy"
	"github.com/gatehouse-iam/gatehouse/store"
)

// ActivitySource tells when keys, roles and entities were last active; the
// audit trail (audit.Activity) is the one the server wires in.
type ActivitySource interface {
	KeyLastUsed(ctx context.Context, keyID string) (audit.Use, bool, error)
	RoleLastUsed(ctx context.Context, roleARN string) (audit.Use, bool, error)
	ActionsLastUsed(ctx context.Context, entityARN string) (map[string]audit.Use, error)
}

// SetActivity gives the service its source of last-use data (Access
// Advisor, GetAccessKeyLastUsed, RoleLastUsed, the credential report).
// Without one, nothing has ever been used.
func (s *Service) SetActivity(a ActivitySource) { s.activity = a }

// kindAdvisorJob is a GenerateServiceLastAccessedDetails job; ID: the job
// id. Kept outside the "iam." kinds: the snapshot does not need it.
const kindAdvisorJob = "accessadvisor.job"

// trackedServices are the services whose actions Access Advisor reports one
// by one (ACTION_LEVEL): the ones Gatehouse serves and records.
var trackedServices = map[string]bool{"iam": true, "sts": true, "organizations": true}

func init() {
	register(
		&Operation{Name: "GenerateServiceLastAccessedDetails", Resource: func(_ *Service, c *Call) string { return c.Params.String("Arn") },
			Handle: generateServiceLastAccessedDetails},
		&Operation{Name: "GetServiceLastAccessedDetails", Resource: accountWide, Handle: getServiceLastAccessedDetails},
		&Operation{Name: "GetServiceLastAccessedDetailsWithEntities", Resource: accountWide, Handle: getServiceLastAccessedDetailsWithEntities},
	)
}

// keyLastUsed is an access key's last use from the activity source; nil when
// unknown.
func (s *Service) keyLastUsed(c *Call, keyID string) *KeyLastUsed {
	if s.activity == nil {
		return nil
	}
	u, ok, err := s.activity.KeyLastUsed(c.Ctx, keyID)
	if err != nil || !ok {
		return nil
	}
	return &KeyLastUsed{LastUsedDate: u.Time, ServiceName: u.Service, Region: u.Region}
}

// roleLastUsed is a role's last assumption or session activity; nil when
// unknown.
func (s *Service) roleLastUsed(c *Call, roleARN string) *RoleLastUsed {
	if s.activity == nil {
		return nil
	}
	u, ok, err := s.activity.RoleLastUsed(c.Ctx, roleARN)
	if err != nil || !ok {
		return nil
	}
	return &RoleLastUsed{LastUsedDate: &u.Time, Region: u.Region}
}

// AdvisorJob is a completed last-accessed report.
type AdvisorJob struct {
	JobId, JobType, Arn string
	Created, Completed  time.Time
	Services            []ServiceAccess
}

// ServiceAccess is one service of a report: its ServiceLastAccessed entry
// and, per entity, when the entity last used it.
type ServiceAccess struct {
	Name, Namespace string
	Last            *audit.Use     `json:",omitempty"`
	Entities        int            // entities that used it
	Actions         []ActionAccess `json:",omitempty"` // ACTION_LEVEL, tracked services
	EntityDetails   []EntityAccess `json:",omitempty"`
}

// ActionAccess is one tracked action of a report.
type ActionAccess struct {
	Name string
	Last *audit.Use `json:",omitempty"`
}

// EntityAccess is an entity a report covers and its last use of a service.
type EntityAccess struct {
	Arn, Name, Type, Id, Path string
	Last                      *time.Time `json:",omitempty"`
}

// advisorEntity is an entity whose activity a report reads: its own ARN (or,
// for a group, its members' ARNs) and how EntityInfo describes it.
type advisorEntity struct {
	info   EntityAccess
	actors []string
}

func generateServiceLastAccessedDetails(s *Service, c *Call) (any, error) {
	target := c.Params.String("Arn")
	granularity := c.Params.String("Granularity")
	if granularity == "" {
		granularity = "SERVICE_LEVEL"
	}
	var docs []string
	var entities []advisorEntity
	err := s.store.View(c.Ctx, func(tx store.Tx) error {
		var err error
		docs, entities, err = s.advisorSubject(c, tx, target)
		return err
	})
	if err != nil {
		return nil, err
	}
	job := &AdvisorJob{JobId: uuid.NewString(), JobType: granularity, Arn: target, Created: c.Now}
	if job.Services, err = s.serviceAccess(c, docs, entities, granularity == "ACTION_LEVEL"); err != nil {
		return nil, err
	}
	job.Completed = s.now()
	err = s.store.Update(c.Ctx, func(tx store.Tx) error {
		return put(c.Ctx, tx, kindAdvisorJob, c.Account, job.JobId, "", job, true)
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"JobId": job.JobId}, nil
}

// advisorSubject reads the policy documents of a user, group, role or
// managed policy and the entities whose activity counts for it.
func (s *Service) advisorSubject(c *Call, tx store.Tx, target string) ([]string, []advisorEntity, error) {
	a, err := arn.Parse(target)
	if err != nil || a.Service != "iam" {
		return nil, nil, awserr.New("InvalidInput", "ARN "+target+" is not valid.")
	}
	typ, _, _ := strings.Cut(a.Resource, "/")
	userEntity := func(u *User) advisorEntity {
		return advisorEntity{EntityAccess{Arn: u.Arn, Name: u.UserName, Type: "USER", Id: u.UserId, Path: u.Path}, []string{u.Arn}}
	}
	roleEntity := func(r *Role) advisorEntity {
		return advisorEntity{EntityAccess{Arn: r.Arn, Name: r.RoleName, Type: "ROLE", Id: r.RoleId, Path: r.Path}, []string{r.Arn}}
	}
	users, err := list[User](c.Ctx, tx, store.ListOptions{Kind: kindUser, Account: c.Account})
	if err != nil {
		return nil, nil, err
	}
	groupEntity := func(g *Group) advisorEntity {
		e := advisorEntity{info: EntityAccess{Arn: g.Arn, Name: g.GroupName, Type: "GROUP", Id: g.GroupId, Path: g.Path}}
		for _, u := range users {
			if slices.ContainsFunc(u.Groups, func(n string) bool { return strings.EqualFold(n, g.GroupName) }) {
				e.actors = append(e.actors, u.Arn)
			}
		}
		return e
	}
	if typ != "policy" {
		granted, err := s.principalPolicies(c, tx, target)
		if err != nil {
			return nil, nil, err
		}
		docs := make([]string, len(granted))
		for i, g := range granted {
			docs[i] = g.document
		}
		name := a.Resource[strings.LastIndexByte(a.Resource, '/')+1:]
		var e advisorEntity
		switch typ {
		case "user":
			u, _, _ := get[User](c.Ctx, tx, kindUser, c.Account, lower(name), "")
			e = userEntity(u)
		case "role":
			r, _, _ := get[Role](c.Ctx, tx, kindRole, c.Account, lower(name), "")
			e = roleEntity(r)
		case "group":
			g, _, _ := get[Group](c.Ctx, tx, kindGroup, c.Account, lower(name), "")
			e = groupEntity(g)
		}
		return docs, []advisorEntity{e}, nil
	}
	if a.Account != c.Account && a.Account != "aws" {
		return nil, nil, awserr.New("NoSuchEntity", "Policy "+target+" does not exist or is not attachable.")
	}
	doc, ok := s.defaultDocument(c, tx, target)
	if !ok {
		return nil, nil, awserr.New("NoSuchEntity", "Policy "+target+" does not exist or is not attachable.")
	}
	attached := func(ps []AttachedPolicy) bool {
		return slices.ContainsFunc(ps, func(p AttachedPolicy) bool { return p.PolicyArn == target })
	}
	var entities []advisorEntity
	for _, u := range users {
		if attached(u.Attached) {
			entities = append(entities, userEntity(u))
		}
	}
	groups, err := list[Group](c.Ctx, tx, store.ListOptions{Kind: kindGroup, Account: c.Account})
	if err != nil {
		return nil, nil, err
	}
	for _, g := range groups {
		if attached(g.Attached) {
			entities = append(entities, groupEntity(g))
		}
	}
	roles, err := list[Role](c.Ctx, tx, store.ListOptions{Kind: kindRole, Account: c.Account})
	if err != nil {
		return nil, nil, err
	}
	for _, r := range roles {
		if attached(r.Attached) {
			entities = append(entities, roleEntity(r))
		}
	}
	return []string{doc}, entities, nil
}

// allowedActions expands the Allow statements of identity policies into
// the actions they allow, by service prefix.
func allowedActions(docs []string) map[string]map[string]bool {
	out := map[string]map[string]bool{}
	add := func(full string) {
		svc, _, _ := strings.Cut(full, ":")
		if out[svc] == nil {
			out[svc] = map[string]bool{}
		}
		out[svc][full] = true
	}
	for _, doc := range docs {
		p, err := policy.Parse(doc, policy.Identity)
		if err != nil {
			continue
		}
		for _, st := range p.Statements {
			if st.Effect != policy.Allow {
				continue
			}
			for _, pat := range st.Action {
				for _, a := range catalog.ExpandActions(pat) {
					add(a)
				}
			}
			if st.NotAction == nil {
				continue
			}
			excluded := map[string]bool{}
			for _, pat := range st.NotAction {
				for _, a := range catalog.ExpandActions(pat) {
					excluded[a] = true
				}
			}
			for _, a := range catalog.ExpandActions("*") {
				if !excluded[a] {
					add(a)
				}
			}
		}
	}
	return out
}

// serviceAccess builds a report's services: every service the documents
// allow, with the entities' last use of each.
func (s *Service) serviceAccess(c *Call, docs []string, entities []advisorEntity, actionLevel bool) ([]ServiceAccess, error) {
	allowed := allowedActions(docs)
	// uses: actor ARN → action (lower case) → last use.
	uses := map[string]map[string]audit.Use{}
	for _, e := range entities {
		for _, actor := range e.actors {
			if _, done := uses[actor]; done || s.activity == nil {
				continue
			}
			acts, err := s.activity.ActionsLastUsed(c.Ctx, actor)
			if err != nil {
				return nil, err
			}
			lowered := map[string]audit.Use{}
			for a, u := range acts {
				lowered[strings.ToLower(a)] = u
			}
			uses[actor] = lowered
		}
	}
	out := make([]ServiceAccess, 0, len(allowed))
	for ns, actions := range allowed {
		sa := ServiceAccess{Namespace: ns, Name: ns}
		if info, ok := catalog.Service(ns); ok {
			sa.Name = info.Name
		}
		lastOfAction := map[string]*audit.Use{}
		for _, e := range entities {
			var entityLast *audit.Use
			for _, actor := range e.actors {
				for a, u := range uses[actor] {
					svc, _, _ := strings.Cut(a, ":")
					if svc != ns {
						continue
					}
					if entityLast == nil || u.Time.After(entityLast.Time) {
						entityLast = &u
					}
					if l := lastOfAction[a]; l == nil || u.Time.After(l.Time) {
						lastOfAction[a] = &u
					}
				}
			}
			d := e.info
			if entityLast != nil {
				sa.Entities++
				t := entityLast.Time
				d.Last = &t
				if sa.Last == nil || entityLast.Time.After(sa.Last.Time) {
					sa.Last = entityLast
				}
			}
			sa.EntityDetails = append(sa.EntityDetails, d)
		}
		if actionLevel && trackedServices[ns] {
			for a := range actions {
				sa.Actions = append(sa.Actions, ActionAccess{Name: a[len(ns)+1:], Last: lastOfAction[strings.ToLower(a)]})
			}
			sort.Slice(sa.Actions, func(i, j int) bool { return sa.Actions[i].Name < sa.Actions[j].Name })
		}
		out = append(out, sa)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Namespace < out[j].Namespace })
	return out, nil
}

func (s *Service) readAdvisorJob(c *Call) (*AdvisorJob, error) {
	id := c.Params.String("JobId")
	var job *AdvisorJob
	err := s.store.View(c.Ctx, func(tx store.Tx) error {
		var err error
		job, _, err = get[AdvisorJob](c.Ctx, tx, kindAdvisorJob, c.Account, id, "")
		return err
	})
	if awserr.As(err) != nil {
		return nil, awserr.New("NoSuchEntity", "The job with ID "+id+" cannot be found.")
	}
	return job, err
}

func getServiceLastAccessedDetails(s *Service, c *Call) (any, error) {
	job, err := s.readAdvisorJob(c)
	if err != nil {
		return nil, err
	}
	items := make([]map[string]any, 0, len(job.Services))
	for _, sa := range job.Services {
		item := map[string]any{"ServiceName": sa.Name, "ServiceNamespace": sa.Namespace, "TotalAuthenticatedEntities": int64(sa.Entities)}
		if sa.Last != nil {
			item["LastAuthenticated"], item["LastAuthenticatedEntity"], item["LastAuthenticatedRegion"] = sa.Last.Time, sa.Last.Entity, sa.Last.Region
		}
		if job.JobType == "ACTION_LEVEL" && trackedServices[sa.Namespace] {
			tracked := make([]map[string]any, 0, len(sa.Actions))
			for _, a := range sa.Actions {
				t := map[string]any{"ActionName": a.Name}
				if a.Last != nil {
					t["LastAccessedTime"], t["LastAccessedEntity"], t["LastAccessedRegion"] = a.Last.Time, a.Last.Entity, a.Last.Region
				}
				tracked = append(tracked, t)
			}
			item["TrackedActionsLastAccessed"] = tracked
		}
		items = append(items, item)
	}
	pg, trunc, marker, err := page(c.Params, items, func(m map[string]any) string { return m["ServiceNamespace"].(string) })
	if err != nil {
		return nil, err
	}
	out := listResult("ServicesLastAccessed", pg, trunc, marker)
	out["JobStatus"], out["JobType"], out["JobCreationDate"], out["JobCompletionDate"] = "COMPLETED", job.JobType, job.Created, job.Completed
	return out, nil
}

func getServiceLastAccessedDetailsWithEntities(s *Service, c *Call) (any, error) {
	job, err := s.readAdvisorJob(c)
	if err != nil {
		return nil, err
	}
	ns := c.Params.String("ServiceNamespace")
	i := slices.IndexFunc(job.Services, func(sa ServiceAccess) bool { return sa.Namespace == ns })
	if i < 0 {
		return nil, awserr.New("InvalidInput", "The service namespace "+ns+" is not in the report of job "+job.JobId+".")
	}
	items := []map[string]any{}
	for _, e := range job.Services[i].EntityDetails {
		item := map[string]any{"EntityInfo": map[string]any{"Arn": e.Arn, "Name": e.Name, "Type": e.Type, "Id": e.Id, "Path": e.Path}}
		if e.Last != nil {
			item["LastAuthenticated"] = *e.Last
		}
		items = append(items, item)
	}
	pg, trunc, marker, err := page(c.Params, items, func(m map[string]any) string { return m["EntityInfo"].(map[string]any)["Arn"].(string) })
	if err != nil {
		return nil, err
	}
	out := listResult("EntityDetailsList", pg, trunc, marker)
	out["JobStatus"], out["JobCreationDate"], out["JobCompletionDate"] = "COMPLETED", job.Created, job.Completed
	return out, nil
}
