// Package schema is the layout of managedpolicies/data/policies.json.gz,
// shared by the generator that writes it and the managedpolicies package that
// reads it.
package schema

import "encoding/json"

// File is the whole data file.
type File struct {
	Source   string   `json:"source"`  // npm package the data came from
	Version  string   `json:"version"` // that package's version
	Policies []Policy `json:"policies"`
}

// Policy is one AWS managed policy with its default version.
type Policy struct {
	Name        string          `json:"name"`
	Path        string          `json:"path"`
	ID          string          `json:"id"`
	Version     string          `json:"version"` // default version id, "v3"
	Created     string          `json:"created"` // RFC 3339
	Updated     string          `json:"updated"` // RFC 3339
	Description string          `json:"description,omitempty"`
	Document    json.RawMessage `json:"document"` // the default version, minified, keys in AWS's order
}
