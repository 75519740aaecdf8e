// Package schema is the layout of catalog/data/catalog.json.gz, shared by the
// generator that writes it and the catalog package that reads it.
//
// Field names are one letter to keep the file small; the Go names say what
// each holds. Empty lists and false flags are omitted.
package schema

// File is the whole data file.
type File struct {
	Source   string    `json:"source"`            // npm package the data came from
	Version  string    `json:"version"`           // that package's version
	Updated  string    `json:"updated,omitempty"` // the package's own data timestamp
	Services []Service `json:"services"`          // sorted by prefix
}

// Service is one service prefix ("s3", "iam", ...).
type Service struct {
	Prefix    string     `json:"p"`
	Name      string     `json:"n"`
	Actions   []Action   `json:"a,omitempty"` // sorted by lower-case name
	Resources []Resource `json:"r,omitempty"` // sorted by name
	Keys      []Key      `json:"k,omitempty"` // sorted by lower-case name
}

// Action is one IAM action of a service.
type Action struct {
	Name      string        `json:"n"`           // as AWS writes it: "GetObject"
	Level     string        `json:"l"`           // Read, Write, List, Tagging, Permissions management
	Resources []ResourceRef `json:"r,omitempty"` // resource types the action applies to
	Keys      []string      `json:"k,omitempty"` // condition keys of the action itself
	Deps      []string      `json:"d,omitempty"` // dependent actions
}

// ResourceRef is a resource type as one action uses it.
type ResourceRef struct {
	Name     string   `json:"n"`
	Required bool     `json:"q,omitempty"`
	Keys     []string `json:"k,omitempty"`
	Deps     []string `json:"d,omitempty"`
}

// Resource is a resource type a service defines.
type Resource struct {
	Name string   `json:"n"`
	ARNs []string `json:"a"` // ARN formats with ${Placeholder}s
	Keys []string `json:"k,omitempty"`
}

// Key is a condition key a service defines.
type Key struct {
	Name string `json:"n"`
	Type string `json:"t"` // String, ArrayOfString, Numeric, Date, Bool, ARN, IPAddress, ...
}
