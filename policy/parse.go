package policy

import (
	"regexp"
	"strings"

	"github.com/gatehouse-iam/gatehouse/arn"
)

// Parse parses and checks a policy document of the given kind. Every
// rejected document yields an *Error; a document is never accepted in part.
func Parse(doc string, kind Kind) (*Policy, error) {
	root, msg, pos := parseJSON(doc)
	if root == nil {
		return nil, errAt(msgSyntax, msg, pos)
	}
	if root.kind != jsonObject {
		return nil, errAt(msgSyntax, "the policy must be a JSON object", root.start)
	}
	if err := checkDuplicateKeys(root); err != nil {
		return nil, err
	}
	p := &Policy{Kind: kind}
	var stmts *jsonValue
	for _, m := range root.members {
		switch m.key {
		case "Version":
			if m.value.kind != jsonString || (m.value.text != Version2012 && m.value.text != Version2008) {
				return nil, errAt(msgLegacyParsing, "Version must be \"2012-10-17\" or \"2008-10-17\"", m.value.start)
			}
			p.Version = m.value.text
		case "Id":
			if m.value.kind != jsonString {
				return nil, errAt(msgSyntax, "Id must be a string", m.value.start)
			}
			p.ID = m.value.text
		case "Statement":
			stmts = m.value
		default:
			return nil, errAt(msgSyntax, "unknown element "+quote(m.key), m.keyPos)
		}
	}
	if stmts == nil {
		return nil, errAt(msgSyntax, "missing Statement", root.start)
	}
	var list []*jsonValue
	switch stmts.kind {
	case jsonObject:
		list = []*jsonValue{stmts}
	case jsonArray:
		if len(stmts.elems) == 0 {
			return nil, errAt(msgSyntax, "Statement is empty", stmts.start)
		}
		list = stmts.elems
	default:
		return nil, errAt(msgSyntax, "Statement must be an object or an array of objects", stmts.start)
	}
	sids := make(map[string]bool)
	for i, sv := range list {
		s, err := parseStatement(sv, kind, i)
		if err != nil {
			return nil, err
		}
		if s.Sid != "" && kind != Any && kind != Resource {
			if sids[s.Sid] {
				return nil, errAt(msgSidUnique, "duplicate Sid "+quote(s.Sid), sv.start)
			}
			sids[s.Sid] = true
		}
		p.Statements = append(p.Statements, s)
	}
	return p, nil
}

var sidPattern = regexp.MustCompile(`^[0-9A-Za-z]*$`)

func parseStatement(v *jsonValue, kind Kind, index int) (*Statement, error) {
	if v.kind != jsonObject {
		return nil, errAt(msgSyntax, "a statement must be an object", v.start)
	}
	s := &Statement{Index: index, Start: v.start, End: v.end}
	var haveEffect, haveAction, haveResource bool
	for _, m := range v.members {
		var err error
		switch m.key {
		case "Sid":
			if m.value.kind != jsonString {
				return nil, errAt(msgSyntax, "Sid must be a string", m.value.start)
			}
			s.Sid = m.value.text
			if (kind == Identity || kind == Trust) && !sidPattern.MatchString(s.Sid) {
				return nil, errAt(msgSidChars, "invalid Sid "+quote(s.Sid), m.value.start)
			}
		case "Effect":
			if m.value.kind != jsonString || (m.value.text != "Allow" && m.value.text != "Deny") {
				return nil, errAt(msgSyntax, "Effect must be \"Allow\" or \"Deny\"", m.value.start)
			}
			haveEffect = true
			if m.value.text == "Deny" {
				s.Effect = Deny
			}
		case "Action", "NotAction":
			if haveAction {
				return nil, errAt(msgSyntax, "a statement may have Action or NotAction, not both", m.keyPos)
			}
			haveAction = true
			var list []string
			if list, err = stringList(m.value, m.key); err == nil {
				if len(list) == 0 {
					return nil, errAt(msgNoActions, m.key+" is empty", m.value.start)
				}
				for i, a := range list {
					if a != "*" && !validActionPattern(a) {
						return nil, errAt(msgVendor, "invalid action "+quote(a), elementPos(m.value, i))
					}
				}
				if m.key == "Action" {
					s.Action = list
				} else {
					s.NotAction = list
				}
			}
		case "Resource", "NotResource":
			if kind == Trust {
				return nil, errAt("Has prohibited field "+m.key, "", m.keyPos)
			}
			if haveResource {
				return nil, errAt(msgSyntax, "a statement may have Resource or NotResource, not both", m.keyPos)
			}
			haveResource = true
			var list []string
			if list, err = stringList(m.value, m.key); err == nil {
				if len(list) == 0 {
					return nil, errAt(msgNoResources, m.key+" is empty", m.value.start)
				}
				if kind != Any {
					for i, r := range list {
						if r != "*" && !strings.HasPrefix(r, "arn:") {
							return nil, errAt("Resource "+r+" must be in ARN format or \"*\".", "", elementPos(m.value, i))
						}
					}
				}
				if m.key == "Resource" {
					s.Resource = list
				} else {
					s.NotResource = list
				}
			}
		case "Principal", "NotPrincipal":
			switch {
			case kind == Identity || kind == SCP:
				return nil, errAt(msgNoPrincipal, "", m.keyPos)
			case m.key == "NotPrincipal" && (kind == Trust || kind == RCP):
				return nil, errAt("Has prohibited field NotPrincipal", "", m.keyPos)
			case s.Principal != nil || s.NotPrincipal != nil:
				return nil, errAt(msgSyntax, "a statement may have Principal or NotPrincipal, not both", m.keyPos)
			}
			var pr *Principal
			if pr, err = parsePrincipal(m.value); err == nil {
				if kind == RCP && !pr.All && !(len(pr.AWS) == 1 && pr.AWS[0] == "*") {
					return nil, errAt("Invalid principal in policy: resource control policies must use \"Principal\": \"*\"", "", m.value.start)
				}
				if m.key == "Principal" {
					s.Principal = pr
				} else {
					s.NotPrincipal = pr
				}
			}
		case "Condition":
			s.Conditions, err = parseConditions(m.value)
		default:
			return nil, errAt(msgSyntax, "unknown statement element "+quote(m.key), m.keyPos)
		}
		if err != nil {
			return nil, err
		}
	}
	switch {
	case !haveEffect:
		return nil, errAt(msgSyntax, "missing Effect", v.start)
	case !haveAction:
		return nil, errAt(msgNoActions, "", v.start)
	case !haveResource && (kind == Identity || kind == Resource):
		return nil, errAt(msgNoResources, "", v.start)
	case s.Principal == nil && s.NotPrincipal == nil && (kind == Resource || kind == Trust || kind == RCP):
		return nil, errAt(msgMissingPrincipal, "", v.start)
	}
	return s, nil
}

// validActionPattern reports whether a is "vendor:name" with a non-empty vendor.
func validActionPattern(a string) bool {
	i := strings.IndexByte(a, ':')
	return i > 0 && i < len(a)-1
}

// stringList reads a string or an array of strings.
func stringList(v *jsonValue, element string) ([]string, error) {
	switch v.kind {
	case jsonString:
		return []string{v.text}, nil
	case jsonArray:
		out := make([]string, 0, len(v.elems))
		for _, e := range v.elems {
			if e.kind != jsonString {
				return nil, errAt(msgSyntax, element+" values must be strings", e.start)
			}
			out = append(out, e.text)
		}
		return out, nil
	}
	return nil, errAt(msgSyntax, element+" must be a string or an array of strings", v.start)
}

// elementPos is the position of the i-th string of a value read by
// stringList: the i-th element of an array, or the string itself.
func elementPos(v *jsonValue, i int) Position {
	if v.kind == jsonArray {
		return v.elems[i].start
	}
	return v.start
}

func parsePrincipal(v *jsonValue) (*Principal, error) {
	if v.kind == jsonString {
		if v.text != "*" {
			return nil, errAt("Invalid principal in policy: "+quote(v.text), "", v.start)
		}
		return &Principal{All: true}, nil
	}
	if v.kind != jsonObject || len(v.members) == 0 {
		return nil, errAt(msgSyntax, "Principal must be \"*\" or an object", v.start)
	}
	p := &Principal{}
	for _, m := range v.members {
		list, err := stringList(m.value, "Principal")
		if err != nil {
			return nil, err
		}
		for i, id := range list {
			if !validPrincipalID(m.key, id) {
				return nil, errAt("Invalid principal in policy: "+quote(m.key)+":"+quote(id), "", elementPos(m.value, i))
			}
		}
		switch m.key {
		case "AWS":
			p.AWS = list
		case "Service":
			p.Service = list
		case "Federated":
			p.Federated = list
		case "CanonicalUser":
			p.CanonicalUser = list
		default:
			return nil, errAt("Invalid principal in policy: unknown principal type "+quote(m.key), "", m.keyPos)
		}
	}
	return p, nil
}

// validPrincipalID checks one principal identifier. AWS principals are "*",
// 12-digit account ids or IAM/STS ARNs; partial wildcards are not allowed.
func validPrincipalID(typ, id string) bool {
	if id == "" {
		return false
	}
	if id == "*" {
		return true
	}
	switch typ {
	case "AWS":
		if arn.IsAccountID(id) {
			return true
		}
		return strings.HasPrefix(id, "arn:") && hasSixParts(id) && !strings.ContainsAny(id, "*?")
	case "Service", "Federated", "CanonicalUser":
		return !strings.ContainsAny(id, "*?")
	}
	return true
}

func hasSixParts(s string) bool { return strings.Count(s, ":") >= 5 }

// checkDuplicateKeys rejects any object, at any depth, that repeats a key.
func checkDuplicateKeys(v *jsonValue) error {
	switch v.kind {
	case jsonObject:
		seen := make(map[string]bool, len(v.members))
		for _, m := range v.members {
			if seen[m.key] {
				return errAt(msgSyntax, "duplicate key "+quote(m.key), m.keyPos)
			}
			seen[m.key] = true
			if err := checkDuplicateKeys(m.value); err != nil {
				return err
			}
		}
	case jsonArray:
		for _, e := range v.elems {
			if err := checkDuplicateKeys(e); err != nil {
				return err
			}
		}
	}
	return nil
}

func quote(s string) string { return "\"" + s + "\"" }
