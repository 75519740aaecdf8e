package iam

import (
	"bytes"
	"context"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"time"

	"github.com/gatehouse-iam/gatehouse/authz"
	"github.com/gatehouse-iam/gatehouse/awserr"
	"github.com/gatehouse-iam/gatehouse/store"
)

// kindLoginProfile is a user's console password; ID: lower-cased user name.
const kindLoginProfile = "iam.loginprofile"

// Password hashing parameters: PBKDF2 with HMAC-SHA-256, as OWASP recommends
// for it (600,000 iterations), a 16-byte random salt and a 32-byte key.
const (
	passwordIterations = 600_000
	passwordSaltLen    = 16
	passwordKeyLen     = 32
)

func init() {
	register(
		&Operation{Name: "CreateLoginProfile", Resource: loginProfileResource, Handle: createLoginProfile},
		&Operation{Name: "GetLoginProfile", Resource: loginProfileResource, Handle: getLoginProfile},
		&Operation{Name: "UpdateLoginProfile", Resource: loginProfileResource, Handle: updateLoginProfile},
		&Operation{Name: "DeleteLoginProfile", Resource: loginProfileResource, Handle: deleteLoginProfile},
		&Operation{Name: "ChangePassword", Resource: changePasswordResource, Handle: changePassword},
	)
}

// PasswordHash is a password as stored: never the password itself.
type PasswordHash struct {
	Salt       []byte
	Iterations int
	Key        []byte
}

// LoginProfile is a user's console password.
type LoginProfile struct {
	UserName string
	// UserId binds the profile to one user: a new user of the same name
	// does not inherit a deleted user's password.
	UserId                string
	CreateDate            time.Time
	PasswordResetRequired bool
	Password              PasswordHash
	PasswordSet           time.Time
	// Previous holds the hashes of earlier passwords, newest first, as many
	// as the password policy's PasswordReusePrevention asks to refuse.
	Previous []PasswordHash `json:",omitempty"`
}

// hashPassword derives a stored hash from a password with a fresh salt.
func hashPassword(password string) (PasswordHash, error) {
	salt := make([]byte, passwordSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return PasswordHash{}, err
	}
	key, err := pbkdf2.Key(sha256.New, password, salt, passwordIterations, passwordKeyLen)
	if err != nil {
		return PasswordHash{}, err
	}
	return PasswordHash{Salt: salt, Iterations: passwordIterations, Key: key}, nil
}

// matches reports whether password is the one h was derived from.
func (h PasswordHash) matches(password string) bool {
	if h.Iterations <= 0 || len(h.Key) == 0 {
		return false
	}
	key, err := pbkdf2.Key(sha256.New, password, h.Salt, h.Iterations, len(h.Key))
	return err == nil && subtle.ConstantTimeCompare(key, h.Key) == 1
}

func noLoginProfile(user string) error {
	return awserr.New("NoSuchEntity", "Login Profile for User "+user+" cannot be found.")
}

// loginUser is the user a login-profile operation acts on: the UserName
// parameter, else the calling IAM user.
func loginUser(c *Call) (string, error) {
	if name := c.Params.String("UserName"); name != "" {
		return name, nil
	}
	if c.Caller != nil && c.Caller.Type == authz.User {
		return c.Caller.Username, nil
	}
	return "", awserr.New("ValidationError", "Must specify userName when calling with non-User credentials")
}

func loginProfileResource(s *Service, c *Call) string {
	if c.Params.String("UserName") == "" && c.Caller != nil && c.Caller.Type == authz.User {
		return c.Caller.ARN
	}
	return userResource(s, c)
}

func changePasswordResource(s *Service, c *Call) string {
	if c.Caller != nil && c.Caller.Type == authz.User {
		return c.Caller.ARN
	}
	return s.arn(c.Account, "user", "/", "*")
}

func loginProfileOutput(lp *LoginProfile) map[string]any {
	return map[string]any{"LoginProfile": map[string]any{"UserName": lp.UserName, "CreateDate": lp.CreateDate,
		"PasswordResetRequired": lp.PasswordResetRequired}}
}

// userLogin reads a user and its login profile: nil when it has none (or
// only a deleted namesake's); NoSuchEntity when the user does not exist.
func userLogin(ctx context.Context, tx store.Tx, account, user string) (*User, *LoginProfile, error) {
	u, _, err := get[User](ctx, tx, kindUser, account, lower(user), "The user with name "+user+" cannot be found.")
	if err != nil {
		return nil, nil, err
	}
	lp, _, err := get[LoginProfile](ctx, tx, kindLoginProfile, account, lower(user), "")
	if awserr.As(err) != nil || (err == nil && lp.UserId != u.UserId) {
		return u, nil, nil
	}
	return u, lp, err
}

// readLogin reads the password policy and a user's login profile (nil when
// the user has none) in one view; NoSuchEntity when the user does not exist.
func (s *Service) readLogin(c *Call, user string) (*PasswordPolicy, *LoginProfile, error) {
	var pp *PasswordPolicy
	var lp *LoginProfile
	err := s.store.View(c.Ctx, func(tx store.Tx) error {
		var err error
		if _, lp, err = userLogin(c.Ctx, tx, c.Account, user); err != nil {
			return err
		}
		pp, err = passwordPolicy(c, tx)
		return err
	})
	return pp, lp, err
}

// newPassword checks a new password against the policy (and, when lp is
// set, against the passwords the policy forbids reusing) and hashes it.
func newPassword(pp *PasswordPolicy, lp *LoginProfile, password string) (PasswordHash, error) {
	if err := checkPassword(pp, password); err != nil {
		return PasswordHash{}, err
	}
	if pp != nil && lp != nil && pp.PasswordReusePrevention > 0 {
		for i, h := range append([]PasswordHash{lp.Password}, lp.Previous...) {
			if int64(i) >= pp.PasswordReusePrevention {
				break
			}
			if h.matches(password) {
				return PasswordHash{}, passwordViolation()
			}
		}
	}
	return hashPassword(password)
}

// setPassword installs a new password hash, keeping the previous one for
// reuse prevention.
func setPassword(pp *PasswordPolicy, lp *LoginProfile, h PasswordHash, now time.Time) {
	keep := 0
	if pp != nil {
		keep = int(pp.PasswordReusePrevention)
	}
	lp.Previous = append([]PasswordHash{lp.Password}, lp.Previous...)
	if len(lp.Previous) > keep {
		lp.Previous = lp.Previous[:keep]
	}
	lp.Password, lp.PasswordSet = h, now
}

func createLoginProfile(s *Service, c *Call) (any, error) {
	user, err := loginUser(c)
	if err != nil {
		return nil, err
	}
	pp, _, err := s.readLogin(c, user)
	if err != nil {
		return nil, err
	}
	password := c.Params.String("Password")
	if password == "" {
		return nil, awserr.New("ValidationError", "Password is required to create a login profile.")
	}
	h, err := newPassword(pp, nil, password)
	if err != nil {
		return nil, err
	}
	reset, _ := c.Params.Bool("PasswordResetRequired")
	var lp *LoginProfile
	err = s.update(c.Ctx, func(tx store.Tx) error {
		u, have, err := userLogin(c.Ctx, tx, c.Account, user)
		if err != nil {
			return err
		}
		if have != nil {
			return awserr.New("EntityAlreadyExists", "Login Profile for user "+u.UserName+" already exists.")
		}
		lp = &LoginProfile{UserName: u.UserName, UserId: u.UserId, CreateDate: c.Now, PasswordResetRequired: reset,
			Password: h, PasswordSet: c.Now}
		// A deleted namesake's profile, if any, is replaced.
		_, err = tx.Get(c.Ctx, store.Key{Kind: kindLoginProfile, Account: c.Account, ID: lower(user)})
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		return put(c.Ctx, tx, kindLoginProfile, c.Account, lower(user), "", lp, err != nil)
	})
	if err != nil {
		return nil, err
	}
	return loginProfileOutput(lp), nil
}

func getLoginProfile(s *Service, c *Call) (any, error) {
	user, err := loginUser(c)
	if err != nil {
		return nil, err
	}
	_, lp, err := s.readLogin(c, user)
	if err != nil {
		return nil, err
	}
	if lp == nil {
		return nil, noLoginProfile(user)
	}
	return loginProfileOutput(lp), nil
}

// modifyLoginProfile reads, changes and writes a login profile in one
// transaction.
func (s *Service) modifyLoginProfile(c *Call, user string, fn func(lp *LoginProfile) error) error {
	return s.update(c.Ctx, func(tx store.Tx) error {
		_, lp, err := userLogin(c.Ctx, tx, c.Account, user)
		if err != nil {
			return err
		}
		if lp == nil {
			return noLoginProfile(user)
		}
		if err := fn(lp); err != nil {
			return err
		}
		return put(c.Ctx, tx, kindLoginProfile, c.Account, lower(user), "", lp, false)
	})
}

func updateLoginProfile(s *Service, c *Call) (any, error) {
	user := c.Params.String("UserName")
	pp, lp, err := s.readLogin(c, user)
	if err != nil {
		return nil, err
	}
	if lp == nil {
		return nil, noLoginProfile(user)
	}
	var h *PasswordHash
	if c.Params.Has("Password") {
		nh, err := newPassword(pp, lp, c.Params.String("Password"))
		if err != nil {
			return nil, err
		}
		h = &nh
	}
	return nil, s.modifyLoginProfile(c, user, func(lp *LoginProfile) error {
		if h != nil {
			setPassword(pp, lp, *h, c.Now)
		}
		if v, ok := c.Params.Bool("PasswordResetRequired"); ok {
			lp.PasswordResetRequired = v
		}
		return nil
	})
}

func deleteLoginProfile(s *Service, c *Call) (any, error) {
	user, err := loginUser(c)
	if err != nil {
		return nil, err
	}
	return nil, s.update(c.Ctx, func(tx store.Tx) error {
		_, lp, err := userLogin(c.Ctx, tx, c.Account, user)
		if err != nil {
			return err
		}
		if lp == nil {
			return noLoginProfile(user)
		}
		return tx.Delete(c.Ctx, store.Key{Kind: kindLoginProfile, Account: c.Account, ID: lower(user)}, 0)
	})
}

// changePassword changes the calling IAM user's own password, after
// checking the old one; it clears PasswordResetRequired.
func changePassword(s *Service, c *Call) (any, error) {
	if c.Caller == nil || c.Caller.Type != authz.User {
		return nil, awserr.New("InvalidUserType", "Only IAM users can change their own password with ChangePassword.")
	}
	user := c.Caller.Username
	pp, lp, err := s.readLogin(c, user)
	if err != nil {
		return nil, err
	}
	if lp == nil {
		return nil, noLoginProfile(user)
	}
	if !lp.Password.matches(c.Params.String("OldPassword")) {
		return nil, awserr.New("InvalidUserType", "The old password was incorrect.")
	}
	h, err := newPassword(pp, lp, c.Params.String("NewPassword"))
	if err != nil {
		return nil, err
	}
	return nil, s.modifyLoginProfile(c, user, func(cur *LoginProfile) error {
		if !bytes.Equal(cur.Password.Key, lp.Password.Key) {
			return awserr.New("EntityTemporarilyUnmodifiable", "The password of user "+user+" changed during the request; try again.")
		}
		setPassword(pp, cur, h, c.Now)
		cur.PasswordResetRequired = false
		return nil
	})
}

// CheckPassword reports whether password is the current console password
// of an account's IAM user. It is false when the user has no login profile,
// and when the password has expired under a password policy with
// HardExpiry (an expired password without HardExpiry still signs in, and
// the user must then change it).
func (s *Service) CheckPassword(ctx context.Context, account, user, password string) bool {
	var pp *PasswordPolicy
	var lp *LoginProfile
	c := &Call{Ctx: ctx, Account: account}
	err := s.store.View(ctx, func(tx store.Tx) error {
		var err error
		if pp, err = passwordPolicy(c, tx); err != nil {
			return err
		}
		_, lp, err = userLogin(ctx, tx, account, user)
		return err
	})
	if err != nil || lp == nil || !lp.Password.matches(password) {
		return false
	}
	if pp != nil && pp.HardExpiry && pp.MaxPasswordAge > 0 {
		expires := lp.PasswordSet.Add(time.Duration(pp.MaxPasswordAge) * 24 * time.Hour)
		return s.now().Before(expires)
	}
	return true
}
