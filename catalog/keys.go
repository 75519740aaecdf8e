package catalog

import "strings"

// keyTemplate is a condition key with one placeholder, such as
// "aws:RequestTag/${TagKey}", "s3:ExistingObjectTag/<key>" or
// "kms:EncryptionContext:${EncryptionContextKey}": a literal prefix, the
// placeholder, and a literal suffix.
type keyTemplate struct {
	prefix, suffix string
	info           KeyInfo
}

// parseTemplate splits a key at its first placeholder, ${...} or <...>.
func parseTemplate(name string) (keyTemplate, bool) {
	for i := 0; i < len(name); i++ {
		var end int
		switch {
		case name[i] == '<':
			end = strings.IndexByte(name[i:], '>')
		case name[i] == '$' && i+1 < len(name) && name[i+1] == '{':
			end = strings.IndexByte(name[i:], '}')
		default:
			continue
		}
		if end < 0 {
			return keyTemplate{}, false
		}
		return keyTemplate{prefix: name[:i], suffix: name[i+end+1:]}, true
	}
	return keyTemplate{}, false
}

// match reports whether name is the template with non-empty text in place
// of the placeholder, ignoring case.
func (t *keyTemplate) match(name string) bool {
	return len(name) > len(t.prefix)+len(t.suffix) &&
		strings.EqualFold(name[:len(t.prefix)], t.prefix) &&
		strings.EqualFold(name[len(name)-len(t.suffix):], t.suffix)
}
