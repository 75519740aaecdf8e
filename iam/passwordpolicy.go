package iam

import (
	"errors"
	"fmt"
	"strings"

	"github.com/gatehouse-iam/gatehouse/awserr"
	"github.com/gatehouse-iam/gatehouse/store"
)

// kindPasswordPolicy is an account's password policy; ID: the account id.
const kindPasswordPolicy = "iam.passwordpolicy"

func init() {
	register(
		&Operation{Name: "UpdateAccountPasswordPolicy", Resource: accountWide, Handle: updatePasswordPolicy},
		&Operation{Name: "GetAccountPasswordPolicy", Resource: accountWide, Handle: getPasswordPolicy},
		&Operation{Name: "DeleteAccountPasswordPolicy", Resource: accountWide, Handle: deletePasswordPolicy},
	)
}

// accountWide is the resource of operations that act on account settings
// rather than on an entity: IAM authorizes them on "*".
func accountWide(*Service, *Call) string { return "*" }

// PasswordPolicy is an account's password policy, as
// GetAccountPasswordPolicy reports it.
type PasswordPolicy struct {
	MinimumPasswordLength      int64
	RequireSymbols             bool
	RequireNumbers             bool
	RequireUppercaseCharacters bool
	RequireLowercaseCharacters bool
	AllowUsersToChangePassword bool
	ExpirePasswords            bool
	MaxPasswordAge             int64 `json:",omitempty"` // days; 0: passwords do not expire
	PasswordReusePrevention    int64 `json:",omitempty"` // previous passwords refused; 0: any
	HardExpiry                 bool
}

// passwordSymbols are the non-alphanumeric characters IAM counts as
// symbols.
const passwordSymbols = "!@#$%^&*()_+-=[]{}|'"

// defaultMinimumLength is the minimum length of AWS's default password
// policy, which applies while an account has none of its own.
const defaultMinimumLength = 8

// passwordViolation is IAM's error for a password that breaks the account's
// own policy.
func passwordViolation() error {
	return awserr.New("PasswordPolicyViolation", "Password does not conform to the account password policy.")
}

// checkPassword checks a new password against the account's policy, or
// against AWS's default policy when the account has none: at least 8
// characters and three of the four character classes. The classes are
// AWS's: Latin letters A–Z and a–z, digits 0–9, and passwordSymbols.
// Violations of the default policy say what is missing, as AWS's do; those
// of an account's policy do not.
func checkPassword(pp *PasswordPolicy, password string) error {
	var upper, lowerCase, digit, symbol bool
	for _, r := range password {
		switch {
		case 'A' <= r && r <= 'Z':
			upper = true
		case 'a' <= r && r <= 'z':
			lowerCase = true
		case '0' <= r && r <= '9':
			digit = true
		case strings.ContainsRune(passwordSymbols, r):
			symbol = true
		}
	}
	length := int64(len([]rune(password)))
	if pp == nil {
		if length < defaultMinimumLength {
			return awserr.New("PasswordPolicyViolation", fmt.Sprintf("Password should have a minimum length of %d", defaultMinimumLength))
		}
		var missing []string
		for _, cl := range []struct {
			have bool
			text string
		}{
			{upper, "Password should have at least one uppercase letter"},
			{lowerCase, "Password should have at least one lowercase letter"},
			{digit, "Password should have at least one number"},
			{symbol, "Password should have at least one symbol"},
		} {
			if !cl.have {
				missing = append(missing, cl.text)
			}
		}
		if need := len(missing) - 1; need > 0 {
			return awserr.New("PasswordPolicyViolation", fmt.Sprintf("Password should meet %d more of the following requirements: %s",
				need, strings.Join(missing, ", ")))
		}
		return nil
	}
	switch {
	case length < pp.MinimumPasswordLength,
		pp.RequireSymbols && !symbol,
		pp.RequireNumbers && !digit,
		pp.RequireUppercaseCharacters && !upper,
		pp.RequireLowercaseCharacters && !lowerCase:
		return passwordViolation()
	}
	return nil
}

// passwordPolicy reads an account's password policy; nil when none is set.
func passwordPolicy(c *Call, tx store.Tx) (*PasswordPolicy, error) {
	pp, _, err := get[PasswordPolicy](c.Ctx, tx, kindPasswordPolicy, c.Account, c.Account, "")
	if awserr.As(err) != nil {
		return nil, nil
	}
	return pp, err
}

func noPasswordPolicy(account string) error {
	return awserr.New("NoSuchEntity", "The Password Policy with domain name "+account+" cannot be found.")
}

// intParam reads an integer parameter, def when absent.
func intParam(c *Call, name string, def int64) int64 {
	if v, ok := c.Params.Int(name); ok {
		return v
	}
	return def
}

// boolParam reads a boolean parameter, false when absent.
func boolParam(c *Call, name string) bool {
	v, _ := c.Params.Bool(name)
	return v
}

// updatePasswordPolicy replaces the policy; parameters left out take IAM's
// defaults (as AWS documents: omitted values are reset, not kept).
func updatePasswordPolicy(s *Service, c *Call) (any, error) {
	pp := &PasswordPolicy{
		MinimumPasswordLength:      intParam(c, "MinimumPasswordLength", 6),
		RequireSymbols:             boolParam(c, "RequireSymbols"),
		RequireNumbers:             boolParam(c, "RequireNumbers"),
		RequireUppercaseCharacters: boolParam(c, "RequireUppercaseCharacters"),
		RequireLowercaseCharacters: boolParam(c, "RequireLowercaseCharacters"),
		AllowUsersToChangePassword: boolParam(c, "AllowUsersToChangePassword"),
		MaxPasswordAge:             intParam(c, "MaxPasswordAge", 0),
		PasswordReusePrevention:    intParam(c, "PasswordReusePrevention", 0),
		HardExpiry:                 boolParam(c, "HardExpiry"),
	}
	pp.ExpirePasswords = pp.MaxPasswordAge > 0
	return nil, s.update(c.Ctx, func(tx store.Tx) error {
		old, err := passwordPolicy(c, tx)
		if err != nil {
			return err
		}
		return put(c.Ctx, tx, kindPasswordPolicy, c.Account, c.Account, "", pp, old == nil)
	})
}

func getPasswordPolicy(s *Service, c *Call) (any, error) {
	var pp *PasswordPolicy
	err := s.store.View(c.Ctx, func(tx store.Tx) error {
		var err error
		pp, err = passwordPolicy(c, tx)
		return err
	})
	if err != nil {
		return nil, err
	}
	if pp == nil {
		return nil, noPasswordPolicy(c.Account)
	}
	return map[string]any{"PasswordPolicy": pp}, nil
}

func deletePasswordPolicy(s *Service, c *Call) (any, error) {
	return nil, s.update(c.Ctx, func(tx store.Tx) error {
		err := tx.Delete(c.Ctx, store.Key{Kind: kindPasswordPolicy, Account: c.Account, ID: c.Account}, 0)
		if errors.Is(err, store.ErrNotFound) {
			return noPasswordPolicy(c.Account)
		}
		return err
	})
}
