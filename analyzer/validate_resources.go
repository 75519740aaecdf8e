package analyzer

import (
	"regexp"
	"strings"
	"sync"

	"github.com/gatehouse-iam/gatehouse/arn"
	"github.com/gatehouse-iam/gatehouse/catalog"
)

// partitions are AWS's partitions.
var partitions = map[string]bool{"aws": true, "aws-cn": true, "aws-us-gov": true, "aws-iso": true,
	"aws-iso-b": true, "aws-iso-e": true, "aws-iso-f": true, "aws-eusc": true}

// regionPattern matches AWS region names: us-east-1, us-gov-west-1, us-isob-east-1.
var regionPattern = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]+$`)

// checkResources checks each resource ARN and reports resources another
// pattern of the statement already covers.
func (v *validator) checkResources(s *statement) {
	for _, r := range s.resources {
		v.resourceARN(r)
	}
	for i, a := range s.resources {
		for j, b := range s.resources {
			if i == j {
				continue
			}
			if (a.text == b.text && j < i) || (a.text != b.text && arn.HasWildcard(b.text) && arn.Match(b.text, a.text)) {
				v.at("REDUNDANT_RESOURCE", "The resource ARN(s) are redundant because they reference the same resource. Review the use of wildcards (*): "+a.text+" is covered by "+b.text+".", a.loc(), a.node)
				break
			}
		}
	}
}

// resourceARN checks one Resource or NotResource value.
func (v *validator) resourceARN(r item) {
	if r.text == "*" || (hasVariable(r.text) && !v.variables(r)) {
		return
	}
	if !strings.HasPrefix(r.text, "arn:") {
		v.at("INVALID_ARN_PREFIX", "Add the required prefix (arn) to the resource ARN "+r.text+".", r.loc(), r.node)
		return
	}
	parts := strings.SplitN(r.text, ":", 6)
	if len(parts) < 6 {
		v.at("MISSING_ARN_FIELD", "Resource ARNs must include at least 6 fields in the following structure: arn:partition:service:region:account:resource", r.loc(), r.node)
		return
	}
	partition, svc, region, account, resource := parts[1], parts[2], parts[3], parts[4], parts[5]
	if !dynamic(partition) && !partitions[partition] {
		v.at("INVALID_PARTITION", "The resource ARN for the service "+svc+" does not support the partition "+partition+". Use the supported values: aws, aws-cn, aws-us-gov, aws-iso, aws-iso-b, aws-iso-e, aws-iso-f, aws-eusc", r.loc(), r.node)
		return
	}
	if dynamic(svc) {
		if svc != "*" && !hasVariable(svc) {
			v.at("WILDCARD_IN_SERVICE_NAME", "Avoid using wildcards (*, ?) in the service name because it might grant unintended access to other AWS services with similar names.", r.loc(), r.node)
		}
		return
	}
	if svc != strings.ToLower(svc) {
		v.at("INVALID_ARN_SERVICE_CASE", "Update the service name "+svc+" in the resource ARN to use all lowercase letters.", r.loc(), r.node)
		return
	}
	info, ok := catalog.Service(svc)
	if !ok {
		v.at("INVALID_SERVICE", "The service "+svc+" does not exist. Use a valid service name.", r.loc(), r.node)
		return
	}
	if region != "" && !dynamic(region) && !regionPattern.MatchString(region) {
		v.at("INVALID_ARN_REGION", "The Region "+region+" is not valid for this resource. Update the resource ARN to include a supported Region.", r.loc(), r.node)
		return
	}
	if account != "" && !dynamic(account) && !arn.IsAccountID(account) && account != "aws" {
		v.at("INVALID_ARN_ACCOUNT", "The resource ARN account ID "+account+" is not valid. Provide a 12-digit account ID.", r.loc(), r.node)
		return
	}
	if dynamic(resource) && strings.Trim(resource, "*") == "" {
		return
	}
	// Find the resource types whose resource part fits, whatever the
	// region and account, then check those against the types' formats.
	var fits []arnFormat
	prefix, wild := literalPrefix(resource)
	var candidates [4]string // by whether the format has a region and an account
	for _, f := range formatsOf(info) {
		k := 0
		if f.region {
			k |= 1
		}
		if f.account {
			k |= 2
		}
		if wild {
			// The catalogue matches ARNs, not patterns: a pattern fits a
			// format when its literal beginning can start the format.
			if prefixCompatible(f.resourceGlob, prefix) {
				fits = append(fits, f)
			}
			continue
		}
		if candidates[k] == "" {
			candidates[k] = "arn:aws:" + svc + ":" + field(f.region, region, "us-east-1") + ":" + field(f.account, account, "123456789012") + ":" + resource
		}
		if f.rt.Matches(candidates[k]) {
			fits = append(fits, f)
		}
	}
	if len(fits) == 0 {
		if !hasVariable(resource) {
			v.at("INVALID_ARN_RESOURCE", "Resource ARN does not match the expected ARN format. Update the resource portion of the ARN.", r.loc(), r.node)
		}
		return
	}
	regionAllowed, regionRequired, accountAllowed, accountRequired := false, true, false, true
	for _, f := range fits {
		regionAllowed = regionAllowed || f.region
		regionRequired = regionRequired && f.region
		accountAllowed = accountAllowed || f.account
		accountRequired = accountRequired && f.account
	}
	// A wildcard can stand for an empty Region or account, and AWS-owned
	// resources (public SSM documents, AMIs) omit the account, so only
	// literal values and fully literal ARNs are reported.
	literal := !dynamic(resource)
	switch {
	case region != "" && !dynamic(region) && !regionAllowed:
		v.at("ARN_REGION_NOT_ALLOWED", "The service "+svc+" does not support specifying a Region in the resource ARN.", r.loc(), r.node)
	case region == "" && regionRequired && literal:
		v.at("MISSING_ARN_REGION", "Add a Region to the "+svc+" resource ARN.", r.loc(), r.node)
	case account != "" && !dynamic(account) && !accountAllowed:
		v.at("ARN_ACCOUNT_NOT_ALLOWED", "The service "+svc+" does not support specifying an account ID in the resource ARN.", r.loc(), r.node)
	case account == "" && accountRequired && literal && region != "" && !dynamic(region):
		v.at("MISSING_ARN_ACCOUNT", "Add an account ID to the "+svc+" resource ARN.", r.loc(), r.node)
	}
}

// field fills an ARN field for matching against a format: empty when the
// format has no such field, the ARN's own value when it has one, a valid
// sample otherwise (so that a missing value is reported as missing rather
// than as a resource that matches no type).
func field(present bool, value, sample string) string {
	switch {
	case !present:
		return ""
	case value != "":
		return value
	}
	return sample
}

// arnFormat is one ARN format of a resource type, with whether it has a
// region and an account.
type arnFormat struct {
	rt              *catalog.ResourceType
	region, account bool
	// resourceGlob is the format's resource part with each placeholder
	// turned into '*'.
	resourceGlob string
}

// formats caches each service's ARN formats (*catalog.ServiceInfo →
// []arnFormat): the catalogue is immutable, so they are split once.
var formats sync.Map

// formatsOf returns the ARN formats of a service's resource types.
func formatsOf(info *catalog.ServiceInfo) []arnFormat {
	if f, ok := formats.Load(info); ok {
		return f.([]arnFormat)
	}
	var out []arnFormat
	for _, rt := range info.ResourceTypes {
		for _, f := range rt.ARNFormats {
			if fp := strings.SplitN(f, ":", 6); len(fp) == 6 {
				out = append(out, arnFormat{rt: rt, region: fp[3] != "", account: fp[4] != "", resourceGlob: placeholders.ReplaceAllString(fp[5], "*")})
			}
		}
	}
	formats.Store(info, out)
	return out
}

// placeholders matches the ${Name} placeholders of ARN formats.
var placeholders = regexp.MustCompile(`\$\{[^}]*\}`)

// literalPrefix returns the text of a resource part before its first
// wildcard or policy variable, and whether it has one.
func literalPrefix(s string) (string, bool) {
	i := strings.IndexAny(s, "*?")
	if j := strings.Index(s, "${"); j >= 0 && (i < 0 || j < i) {
		i = j
	}
	if i < 0 {
		return s, false
	}
	return s[:i], true
}

// prefixCompatible reports whether some string that glob matches begins
// with prefix; glob's '*' matches any run of characters. It simulates the
// glob as a set of positions, which a bit set holds for globs shorter than
// 64 bytes (every ARN format's resource part); longer globs are only
// compared up to their 63rd byte, which can only make them more lenient.
func prefixCompatible(glob, prefix string) bool {
	if len(glob) > 63 {
		glob = glob[:63]
		if glob[len(glob)-1] != '*' {
			glob += "*"
		}
	}
	var stars uint64
	for i := 0; i < len(glob); i++ {
		if glob[i] == '*' {
			stars |= 1 << i
		}
	}
	// closure adds, for each live position on a '*', the position after it.
	closure := func(s uint64) uint64 {
		for {
			next := s | (s&stars)<<1
			if next == s {
				return s
			}
			s = next
		}
	}
	states := closure(1)
	for n := 0; n < len(prefix); n++ {
		var next uint64
		for i := 0; i < len(glob); i++ {
			if states&(1<<i) == 0 {
				continue
			}
			switch glob[i] {
			case '*':
				next |= 1 << i
			case prefix[n]:
				next |= 1 << (i + 1)
			}
		}
		if next == 0 {
			return false
		}
		states = closure(next)
	}
	return true
}

// dynamic reports whether an ARN field holds a wildcard or a policy
// variable, so that its value is only known at request time.
func dynamic(s string) bool { return strings.ContainsAny(s, "*?") || hasVariable(s) }
