// Package iam is Gatehouse's IAM service: users, groups, roles, managed and
// inline policies, access keys and the rest of the IAM API, kept in a store
// and enforced by the policy engine.
//
// Operations are handlers over a decoded parameter tree (protocol.Params) that
// return values shaped like the operation's output in the IAM model; the
// wire protocol (query/XML) is the server's business. Entities are stored as
// JSON records, one record per entity, with case-insensitive names as
// lower-cased record IDs.
package iam

import (
	"context"
	"time"

	"github.com/gatehouse-iam/gatehouse/store"
)

// Record kinds.
const (
	kindAccount   = "iam.account"   // ID: the account id
	kindUser      = "iam.user"      // ID: lower-cased user name
	kindGroup     = "iam.group"     // ID: lower-cased group name
	kindRole      = "iam.role"      // ID: lower-cased role name
	kindPolicy    = "iam.policy"    // ID: lower-cased policy name (customer managed)
	kindAccessKey = "iam.accesskey" // global; ID: the access key id; Parent: account/lower user name
	kindMember    = "iam.member"    // ID: lower group/lower user; Parent: lower group name
	kindProfile   = "iam.instanceprofile"
)

// Tag is a key-value tag on an IAM entity.
type Tag struct {
	Key   string
	Value string
}

// AttachedPolicy names a managed policy attached to a principal.
type AttachedPolicy struct {
	PolicyName string
	PolicyArn  string
}

// Boundary is a permissions boundary as IAM reports it.
type Boundary struct {
	PermissionsBoundaryType string // always "PermissionsBoundaryPolicy"
	PermissionsBoundaryArn  string
}

// InlinePolicy is a policy embedded in a user, group or role.
type InlinePolicy struct {
	Name     string
	Document string
}

// Account holds account-wide IAM settings.
type Account struct {
	ID      string
	Aliases []string `json:",omitempty"`
	Created time.Time
}

// User is an IAM user.
type User struct {
	Path                string
	UserName            string
	UserId              string
	Arn                 string
	CreateDate          time.Time
	PermissionsBoundary *Boundary        `json:",omitempty"`
	Tags                []Tag            `json:",omitempty"`
	Groups              []string         `json:",omitempty"` // group names
	Inline              []InlinePolicy   `json:",omitempty"`
	Attached            []AttachedPolicy `json:",omitempty"`
	PasswordLastUsed    *time.Time       `json:",omitempty"`
}

// Group is an IAM group.
type Group struct {
	Path       string
	GroupName  string
	GroupId    string
	Arn        string
	CreateDate time.Time
	Inline     []InlinePolicy   `json:",omitempty"`
	Attached   []AttachedPolicy `json:",omitempty"`
}

// Role is an IAM role.
type Role struct {
	Path                     string
	RoleName                 string
	RoleId                   string
	Arn                      string
	CreateDate               time.Time
	AssumeRolePolicyDocument string
	Description              string `json:",omitempty"`
	MaxSessionDuration       int64
	PermissionsBoundary      *Boundary        `json:",omitempty"`
	Tags                     []Tag            `json:",omitempty"`
	Inline                   []InlinePolicy   `json:",omitempty"`
	Attached                 []AttachedPolicy `json:",omitempty"`
	LastUsed                 *RoleLastUsed    `json:",omitempty"`
	ServiceLinked            bool             `json:",omitempty"`
}

// RoleLastUsed records when and where a role was last assumed.
type RoleLastUsed struct {
	LastUsedDate *time.Time `json:",omitempty"`
	Region       string     `json:",omitempty"`
}

// PolicyVersion is one version of a managed policy.
type PolicyVersion struct {
	VersionId        string
	Document         string
	IsDefaultVersion bool
	CreateDate       time.Time
}

// Policy is a customer managed policy with its versions.
type Policy struct {
	PolicyName       string
	PolicyId         string
	Arn              string
	Path             string
	Description      string `json:",omitempty"`
	DefaultVersionId string
	NextVersion      int
	CreateDate       time.Time
	UpdateDate       time.Time
	Tags             []Tag `json:",omitempty"`
	Versions         []PolicyVersion
	// Attachments counts principals the policy is attached to, and as a
	// permissions boundary.
	Attachments         int
	BoundaryAttachments int
}

// AccessKey is a long-term access key of a user (or of the account root
// when UserName is empty).
type AccessKey struct {
	AccessKeyId     string
	Account         string
	UserName        string // "" for the root user
	Status          string // Active or Inactive
	SecretEncrypted []byte // the secret, sealed with the store's data key
	CreateDate      time.Time
	LastUsed        *KeyLastUsed `json:",omitempty"`
}

// KeyLastUsed records an access key's last use.
type KeyLastUsed struct {
	LastUsedDate time.Time
	ServiceName  string
	Region       string
}

// Accounts lists the accounts an entity store holds (their IDs, in order).
func Accounts(ctx context.Context, st store.Store) ([]string, error) {
	var out []string
	err := st.View(ctx, func(tx store.Tx) error {
		recs, err := tx.List(ctx, store.ListOptions{Kind: kindAccount})
		for _, r := range recs {
			out = append(out, r.ID)
		}
		return err
	})
	return out, err
}
