package iam

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"net/url"
	"strings"
	"time"

	qr "github.com/piglig/go-qr"

	"github.com/gatehouse-iam/gatehouse/authz"
	"github.com/gatehouse-iam/gatehouse/awserr"
	"github.com/gatehouse-iam/gatehouse/store"
)

// kindMFADevice is a virtual MFA device; ID: lower-cased device name (names
// are unique in an account whatever the path).
const kindMFADevice = "iam.mfadevice"

// TOTP parameters (RFC 6238 with AWS's choices) and the clock drift each
// operation tolerates, in time steps.
const (
	totpStep       = 30 * time.Second
	totpDigits     = 6
	totpSeedLen    = 20 // bytes: 32 base32 characters
	mfaPerUser     = 8
	enableWindow   = 10 // EnableMFADevice: codes up to 5 minutes old
	resyncWindow   = 40 // ResyncMFADevice: a clock up to 20 minutes off
	verifyWindow   = 1  // sign-in: one step either side
	mfaQRScale     = 4
	mfaQRBorder    = 4
	mfaQRIssuer    = "Gatehouse"
	mfaInvalidCode = "Authentication code for device is not valid."
)

func init() {
	register(
		&Operation{Name: "CreateVirtualMFADevice", Resource: newMFAResource, Handle: createVirtualMFADevice},
		&Operation{Name: "EnableMFADevice", Resource: loginProfileResource, Handle: enableMFADevice},
		&Operation{Name: "ResyncMFADevice", Resource: loginProfileResource, Handle: resyncMFADevice},
		&Operation{Name: "DeactivateMFADevice", Resource: loginProfileResource, Handle: deactivateMFADevice},
		&Operation{Name: "DeleteVirtualMFADevice", Resource: mfaResource, Handle: deleteVirtualMFADevice},
		&Operation{Name: "ListMFADevices", Resource: loginProfileResource, Handle: listMFADevices},
		&Operation{Name: "ListVirtualMFADevices", Resource: accountResource("mfa"), Handle: listVirtualMFADevices},
		&Operation{Name: "GetMFADevice", Resource: loginProfileResource, Handle: getMFADevice},
		&Operation{Name: "TagMFADevice", Resource: tagResource(mfaResource), Handle: tagMFADevice},
		&Operation{Name: "UntagMFADevice", Resource: untagResource(mfaResource), Handle: untagMFADevice},
		&Operation{Name: "ListMFADeviceTags", Resource: mfaResource, Handle: listMFADeviceTags},
	)
}

// MFADevice is a virtual MFA device: a TOTP seed, optionally assigned to a
// user.
type MFADevice struct {
	SerialNumber string // arn:aws:iam::ACCOUNT:mfa/PATH/NAME
	Path         string
	Name         string
	SeedSealed   []byte // the base32 seed, sealed with the serial number
	CreateDate   time.Time
	UserName     string     `json:",omitempty"` // "" while unassigned
	UserId       string     `json:",omitempty"` // the user's unique id, which a new user of the same name does not have
	EnableDate   *time.Time `json:",omitempty"`
	Tags         []Tag      `json:",omitempty"`
	// LastStep is the last TOTP time step accepted: codes of that step or
	// earlier are refused, so a code works once.
	LastStep int64 `json:",omitempty"`
}

// totp is the RFC 6238 code of a key for a time step (HMAC-SHA-1, dynamic
// truncation, six digits).
func totp(key []byte, step int64) string {
	mac := hmac.New(sha1.New, key)
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(step))
	mac.Write(msg[:])
	sum := mac.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	v := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	return fmt.Sprintf("%0*d", totpDigits, v%1_000_000)
}

// totpStepAt is the TOTP time step of an instant.
func totpStepAt(t time.Time) int64 { return t.Unix() / int64(totpStep/time.Second) }

// findCodes looks for the step of code1 within window steps of now, with
// code2 the code of the step after it (code2 empty: code1 alone), after
// the device's last accepted step. It returns the step of the last code
// matched.
func findCodes(key []byte, after, now, window int64, code1, code2 string) (int64, bool) {
	for step := now - window; step <= now+window; step++ {
		if step <= after || !hmac.Equal([]byte(totp(key, step)), []byte(code1)) {
			continue
		}
		if code2 == "" {
			return step, true
		}
		if hmac.Equal([]byte(totp(key, step+1)), []byte(code2)) {
			return step + 1, true
		}
	}
	return 0, false
}

// seed opens a device's TOTP key.
func (s *Service) seed(d *MFADevice) ([]byte, error) {
	b32, err := s.sealer.Open(d.SeedSealed, d.SerialNumber)
	if err != nil {
		return nil, err
	}
	return base32.StdEncoding.DecodeString(b32)
}

// otpauthURI is the key URI authenticator apps read from the QR code, as
// AWS builds it: otpauth://totp/NAME@ACCOUNT?secret=SEED, where ACCOUNT is
// the account alias when there is one, else the account id; Gatehouse adds
// the issuer.
func otpauthURI(device, account, b32 string) string {
	v := url.Values{"secret": {b32}, "issuer": {mfaQRIssuer}}
	return "otpauth://totp/" + url.PathEscape(device+"@"+account) + "?" + v.Encode()
}

// qrPNG renders text as a QR code PNG.
func qrPNG(text string) ([]byte, error) {
	code, err := qr.EncodeText(text, qr.Medium)
	if err != nil {
		return nil, err
	}
	return code.ToPNGBytes(qr.NewQrCodeImgConfig(mfaQRScale, mfaQRBorder))
}

func noSuchDevice(serial string) error {
	return awserr.New("NoSuchEntity", "VirtualMFADevice with serial "+serial+" does not exist.")
}

// deviceID returns the record ID of a virtual MFA serial number in the
// caller's account, or false for anything else (hardware serials, other
// accounts).
func (s *Service) deviceID(account, serial string) (string, bool) {
	prefix := "arn:" + s.partition + ":iam::" + account + ":mfa/"
	if !strings.HasPrefix(serial, prefix) {
		return "", false
	}
	return lower(serial[strings.LastIndexByte(serial, '/')+1:]), true
}

// readDevice loads a virtual MFA device by serial number.
func (s *Service) readDevice(ctx context.Context, tx store.Tx, account, serial string) (*MFADevice, error) {
	id, ok := s.deviceID(account, serial)
	if !ok {
		return nil, noSuchDevice(serial)
	}
	d, _, err := get[MFADevice](ctx, tx, kindMFADevice, account, id, "")
	if awserr.As(err) != nil || (err == nil && d.SerialNumber != serial) {
		return nil, noSuchDevice(serial)
	}
	return d, err
}

// modifyDevice reads, changes and writes a device in one transaction.
func (s *Service) modifyDevice(c *Call, serial string, fn func(tx store.Tx, d *MFADevice) error) error {
	return s.update(c.Ctx, func(tx store.Tx) error {
		d, err := s.readDevice(c.Ctx, tx, c.Account, serial)
		if err != nil {
			return err
		}
		if err := fn(tx, d); err != nil {
			return err
		}
		return put(c.Ctx, tx, kindMFADevice, c.Account, lower(d.Name), "", d, false)
	})
}

func mfaResource(s *Service, c *Call) string {
	serial := c.Params.String("SerialNumber")
	if id, ok := s.deviceID(c.Account, serial); ok {
		var d *MFADevice
		if s.store.View(c.Ctx, func(tx store.Tx) error {
			var err error
			d, _, err = get[MFADevice](c.Ctx, tx, kindMFADevice, c.Account, id, "")
			return err
		}) == nil {
			resourceTagKeys(c, d.Tags)
		}
	}
	return serial
}

func newMFAResource(s *Service, c *Call) string {
	if tags, err := s.tagsParam(c.Params, "Tags"); err == nil {
		requestTagKeys(c, tags)
	}
	return s.arn(c.Account, "mfa", pathOrRoot(c.Params), c.Params.String("VirtualMFADeviceName"))
}

func createVirtualMFADevice(s *Service, c *Call) (any, error) {
	name := c.Params.String("VirtualMFADeviceName")
	tags, err := s.tagsParam(c.Params, "Tags")
	if err != nil {
		return nil, err
	}
	key := make([]byte, totpSeedLen)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	b32 := base32.StdEncoding.EncodeToString(key)
	d := &MFADevice{Path: pathOrRoot(c.Params), Name: name, CreateDate: c.Now, Tags: tags}
	d.SerialNumber = s.arn(c.Account, "mfa", d.Path, name)
	d.SeedSealed = s.sealer.Seal(b32, d.SerialNumber)
	label := c.Account
	err = s.store.View(c.Ctx, func(tx store.Tx) error {
		aliases, err := accountAliases(c, tx)
		if len(aliases) > 0 {
			label = aliases[0]
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	png, err := qrPNG(otpauthURI(name, label, b32))
	if err != nil {
		return nil, err
	}
	err = s.update(c.Ctx, func(tx store.Tx) error {
		return exists(put(c.Ctx, tx, kindMFADevice, c.Account, lower(name), "", d, true),
			"MFADevice entity at the same path and name already exists.")
	})
	if err != nil {
		return nil, err
	}
	out := map[string]any{"SerialNumber": d.SerialNumber, "Base32StringSeed": []byte(b32), "QRCodePNG": png}
	if len(tags) > 0 {
		out["Tags"] = tags
	}
	return map[string]any{"VirtualMFADevice": out}, nil
}

// mfaUser is the user an MFA operation acts on: UserName, else the calling
// IAM user; "" for the root user, which has no IAM MFA devices.
func mfaUser(c *Call) string {
	if name := c.Params.String("UserName"); name != "" {
		return name
	}
	if c.Caller != nil && c.Caller.Type == authz.User {
		return c.Caller.Username
	}
	return ""
}

// holder returns the user a device is assigned to, or nil when it is
// unassigned or its user has been deleted (a new user of the same name
// does not inherit the device).
func holder(ctx context.Context, tx store.Tx, account string, d *MFADevice) *User {
	if d.UserName == "" {
		return nil
	}
	u, _, err := get[User](ctx, tx, kindUser, account, lower(d.UserName), "")
	if err != nil || u.UserId != d.UserId {
		return nil
	}
	return u
}

// userDevices lists the devices assigned to a user.
func userDevices(c *Call, tx store.Tx, u *User) ([]*MFADevice, error) {
	all, err := list[MFADevice](c.Ctx, tx, store.ListOptions{Kind: kindMFADevice, Account: c.Account})
	if err != nil {
		return nil, err
	}
	var out []*MFADevice
	for _, d := range all {
		if d.UserName != "" && lower(d.UserName) == lower(u.UserName) && d.UserId == u.UserId {
			out = append(out, d)
		}
	}
	return out, nil
}

func enableMFADevice(s *Service, c *Call) (any, error) {
	user, serial := c.Params.String("UserName"), c.Params.String("SerialNumber")
	code1, code2 := c.Params.String("AuthenticationCode1"), c.Params.String("AuthenticationCode2")
	return nil, s.modifyDevice(c, serial, func(tx store.Tx, d *MFADevice) error {
		u, _, err := get[User](c.Ctx, tx, kindUser, c.Account, lower(user), "The user with name "+user+" cannot be found.")
		if err != nil {
			return err
		}
		if holder(c.Ctx, tx, c.Account, d) != nil {
			return awserr.New("EntityAlreadyExists", "MFA Device is already in use.")
		}
		have, err := userDevices(c, tx, u)
		if err != nil {
			return err
		}
		if err := quota(len(have), mfaPerUser, "MFADevicesPerUser"); err != nil {
			return err
		}
		key, err := s.seed(d)
		if err != nil {
			return err
		}
		step, ok := findCodes(key, d.LastStep, totpStepAt(c.Now), enableWindow, code1, code2)
		if !ok {
			return awserr.New("InvalidAuthenticationCode", mfaInvalidCode)
		}
		now := c.Now
		d.UserName, d.UserId, d.EnableDate, d.LastStep = u.UserName, u.UserId, &now, step
		return nil
	})
}

// assignedDevice loads a device and checks it is assigned to user.
func (s *Service) assignedDevice(c *Call, tx store.Tx, user, serial string) (*MFADevice, error) {
	u, _, err := get[User](c.Ctx, tx, kindUser, c.Account, lower(user), "The user with name "+user+" cannot be found.")
	if err != nil {
		return nil, err
	}
	d, err := s.readDevice(c.Ctx, tx, c.Account, serial)
	if err != nil {
		return nil, err
	}
	if d.UserName == "" || lower(d.UserName) != lower(u.UserName) || d.UserId != u.UserId {
		return nil, awserr.New("NoSuchEntity", "MFA Device with serial number "+serial+" does not exist for user "+user+".")
	}
	return d, nil
}

func resyncMFADevice(s *Service, c *Call) (any, error) {
	user, serial := c.Params.String("UserName"), c.Params.String("SerialNumber")
	code1, code2 := c.Params.String("AuthenticationCode1"), c.Params.String("AuthenticationCode2")
	return nil, s.update(c.Ctx, func(tx store.Tx) error {
		d, err := s.assignedDevice(c, tx, user, serial)
		if err != nil {
			return err
		}
		key, err := s.seed(d)
		if err != nil {
			return err
		}
		step, ok := findCodes(key, d.LastStep, totpStepAt(c.Now), resyncWindow, code1, code2)
		if !ok {
			return awserr.New("InvalidAuthenticationCode", mfaInvalidCode)
		}
		d.LastStep = step
		return put(c.Ctx, tx, kindMFADevice, c.Account, lower(d.Name), "", d, false)
	})
}

func deactivateMFADevice(s *Service, c *Call) (any, error) {
	user, serial := mfaUser(c), c.Params.String("SerialNumber")
	if user == "" {
		return nil, awserr.New("ValidationError", "Must specify userName when calling with non-User credentials")
	}
	return nil, s.update(c.Ctx, func(tx store.Tx) error {
		d, err := s.assignedDevice(c, tx, user, serial)
		if err != nil {
			return err
		}
		d.UserName, d.UserId, d.EnableDate = "", "", nil
		return put(c.Ctx, tx, kindMFADevice, c.Account, lower(d.Name), "", d, false)
	})
}

func deleteVirtualMFADevice(s *Service, c *Call) (any, error) {
	serial := c.Params.String("SerialNumber")
	return nil, s.update(c.Ctx, func(tx store.Tx) error {
		d, err := s.readDevice(c.Ctx, tx, c.Account, serial)
		if err != nil {
			return err
		}
		if holder(c.Ctx, tx, c.Account, d) != nil {
			return awserr.New("DeleteConflict", "MFA Device is still in use by user "+d.UserName+"; deactivate it first.")
		}
		return tx.Delete(c.Ctx, store.Key{Kind: kindMFADevice, Account: c.Account, ID: lower(d.Name)}, 0)
	})
}

func listMFADevices(s *Service, c *Call) (any, error) {
	user := mfaUser(c)
	var devices []*MFADevice
	if user != "" {
		err := s.store.View(c.Ctx, func(tx store.Tx) error {
			u, _, err := get[User](c.Ctx, tx, kindUser, c.Account, lower(user), "The user with name "+user+" cannot be found.")
			if err != nil {
				return err
			}
			devices, err = userDevices(c, tx, u)
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	out := make([]map[string]any, 0, len(devices))
	for _, d := range devices {
		out = append(out, map[string]any{"UserName": d.UserName, "SerialNumber": d.SerialNumber, "EnableDate": d.EnableDate})
	}
	pg, trunc, marker, err := page(c.Params, out, func(m map[string]any) string { return m["SerialNumber"].(string) })
	if err != nil {
		return nil, err
	}
	return listResult("MFADevices", pg, trunc, marker), nil
}

func listVirtualMFADevices(s *Service, c *Call) (any, error) {
	status := c.Params.String("AssignmentStatus")
	var out []map[string]any
	err := s.store.View(c.Ctx, func(tx store.Tx) error {
		devices, err := list[MFADevice](c.Ctx, tx, store.ListOptions{Kind: kindMFADevice, Account: c.Account})
		if err != nil {
			return err
		}
		for _, d := range devices {
			u := holder(c.Ctx, tx, c.Account, d)
			if (status == "Assigned" && u == nil) || (status == "Unassigned" && u != nil) {
				continue
			}
			m := map[string]any{"SerialNumber": d.SerialNumber}
			if u != nil {
				m["EnableDate"] = d.EnableDate
				m["User"] = map[string]any{"Path": u.Path, "UserName": u.UserName, "UserId": u.UserId,
					"Arn": u.Arn, "CreateDate": u.CreateDate}
			}
			if len(d.Tags) > 0 {
				m["Tags"] = d.Tags
			}
			out = append(out, m)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if out == nil {
		out = []map[string]any{}
	}
	pg, trunc, marker, err := page(c.Params, out, func(m map[string]any) string { return m["SerialNumber"].(string) })
	if err != nil {
		return nil, err
	}
	return listResult("VirtualMFADevices", pg, trunc, marker), nil
}

func getMFADevice(s *Service, c *Call) (any, error) {
	user, serial := mfaUser(c), c.Params.String("SerialNumber")
	var d *MFADevice
	err := s.store.View(c.Ctx, func(tx store.Tx) error {
		var err error
		if user == "" {
			d, err = s.readDevice(c.Ctx, tx, c.Account, serial)
			if err == nil && holder(c.Ctx, tx, c.Account, d) == nil {
				d.UserName, d.EnableDate = "", nil
			}
			return err
		}
		d, err = s.assignedDevice(c, tx, user, serial)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := map[string]any{"SerialNumber": d.SerialNumber}
	if d.UserName != "" {
		out["UserName"], out["EnableDate"] = d.UserName, d.EnableDate
	}
	return out, nil
}

func tagMFADevice(s *Service, c *Call) (any, error) {
	tags, err := s.tagsParam(c.Params, "Tags")
	if err != nil {
		return nil, err
	}
	return nil, s.modifyDevice(c, c.Params.String("SerialNumber"), func(_ store.Tx, d *MFADevice) error {
		d.Tags, err = s.mergeTags(d.Tags, tags)
		return err
	})
}

func untagMFADevice(s *Service, c *Call) (any, error) {
	keys := c.Params.Strings("TagKeys")
	return nil, s.modifyDevice(c, c.Params.String("SerialNumber"), func(_ store.Tx, d *MFADevice) error {
		d.Tags = removeTags(d.Tags, keys)
		return nil
	})
}

func listMFADeviceTags(s *Service, c *Call) (any, error) {
	var d *MFADevice
	err := s.store.View(c.Ctx, func(tx store.Tx) error {
		var err error
		d, err = s.readDevice(c.Ctx, tx, c.Account, c.Params.String("SerialNumber"))
		return err
	})
	if err != nil {
		return nil, err
	}
	tags := append([]Tag{}, d.Tags...)
	pg, trunc, marker, err := page(c.Params, tags, func(t Tag) string { return t.Key })
	if err != nil {
		return nil, err
	}
	return listResult("Tags", pg, trunc, marker), nil
}

// VerifyMFA checks a one-time code from a virtual MFA device at time now,
// as STS does for GetSessionToken and AssumeRole with SerialNumber and
// TokenCode, and returns the user the device is assigned to. A code is
// accepted once: a code of the step last accepted, or of an earlier one, is
// refused (replay). Failures are AccessDenied, as STS reports them.
func (s *Service) VerifyMFA(ctx context.Context, account, serialNumber, code string, now time.Time) (user string, err error) {
	err = s.update(ctx, func(tx store.Tx) error {
		d, err := s.readDevice(ctx, tx, account, serialNumber)
		if awserr.As(err) != nil || (err == nil && holder(ctx, tx, account, d) == nil) {
			return awserr.New("AccessDenied", "MultiFactorAuthentication failed, unable to validate MFA code.")
		}
		if err != nil {
			return err
		}
		key, err := s.seed(d)
		if err != nil {
			return err
		}
		step, ok := findCodes(key, d.LastStep, totpStepAt(now), verifyWindow, code, "")
		if !ok {
			return awserr.New("AccessDenied", "MultiFactorAuthentication failed with invalid MFA one time pass code.")
		}
		d.LastStep, user = step, d.UserName
		return put(ctx, tx, kindMFADevice, account, lower(d.Name), "", d, false)
	})
	if err != nil {
		return "", err
	}
	return user, nil
}
