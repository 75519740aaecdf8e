package server_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"fmt"
	"image/png"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"
	qr "github.com/piglig/go-qr"

	"github.com/gatehouse-iam/gatehouse/internal/testserver"
)

// code is the RFC 6238 TOTP code (SHA-1, 30 s, 6 digits) of a base32 seed
// at a time step, computed independently of the server's implementation.
func code(t *testing.T, seed []byte, step int64) string {
	t.Helper()
	key, err := base32.StdEncoding.DecodeString(string(seed))
	if err != nil {
		t.Fatal(err)
	}
	mac := hmac.New(sha1.New, key)
	binary.Write(mac, binary.BigEndian, step)
	sum := mac.Sum(nil)
	off := sum[19] & 15
	return fmt.Sprintf("%06d", (binary.BigEndian.Uint32(sum[off:])&0x7fffffff)%1000000)
}

func nowStep() int64 { return time.Now().Unix() / 30 }

func TestVirtualMFADeviceLifecycle(t *testing.T) {
	ts := testserver.Start(t)
	ctx := context.Background()
	root := ts.IAMClient()
	mustUser(t, root, "alice")

	created, err := root.CreateVirtualMFADevice(ctx, &iamsdk.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("alice-phone"),
		Path: aws.String("/team/"), Tags: []types.Tag{{Key: aws.String("kind"), Value: aws.String("phone")}}})
	if err != nil {
		t.Fatal(err)
	}
	dev := created.VirtualMFADevice
	serial := *dev.SerialNumber
	if serial != "arn:aws:iam::"+testserver.Account+":mfa/team/alice-phone" || len(dev.Base32StringSeed) != 32 {
		t.Fatalf("device: %s seed %q", serial, dev.Base32StringSeed)
	}
	// The QR code is a real PNG whose otpauth URI carries the seed.
	img, err := png.Decode(bytes.NewReader(dev.QRCodePNG))
	if err != nil {
		t.Fatal(err)
	}
	text, err := qr.Decode(img)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(text)
	if err != nil || u.Scheme != "otpauth" || u.Host != "totp" || u.Path != "/alice-phone@"+testserver.Account ||
		u.Query().Get("secret") != string(dev.Base32StringSeed) {
		t.Fatalf("QR code: %q", text)
	}
	if _, err := root.CreateVirtualMFADevice(ctx, &iamsdk.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("ALICE-PHONE")}); apiCode(err) != "EntityAlreadyExists" {
		t.Fatalf("duplicate device: %v", err)
	}

	seed, step := dev.Base32StringSeed, nowStep()
	enable := func(user, c1, c2 string) error {
		_, err := root.EnableMFADevice(ctx, &iamsdk.EnableMFADeviceInput{UserName: aws.String(user), SerialNumber: aws.String(serial),
			AuthenticationCode1: aws.String(c1), AuthenticationCode2: aws.String(c2)})
		return err
	}
	for _, tc := range []struct {
		name, user, c1, c2, want string
	}{
		{"codes reversed", "alice", code(t, seed, step), code(t, seed, step-1), "InvalidAuthenticationCode"},
		{"not consecutive", "alice", code(t, seed, step-2), code(t, seed, step), "InvalidAuthenticationCode"},
		{"wrong codes", "alice", "123456", "654321", "InvalidAuthenticationCode"},
		{"no such user", "bob", code(t, seed, step-1), code(t, seed, step), "NoSuchEntity"},
	} {
		if err := enable(tc.user, tc.c1, tc.c2); apiCode(err) != tc.want {
			t.Errorf("%s: %v, want %s", tc.name, err, tc.want)
		}
	}
	if err := enable("alice", code(t, seed, step-1), code(t, seed, step)); err != nil {
		t.Fatal(err)
	}
	if err := enable("alice", code(t, seed, step-1), code(t, seed, step)); apiCode(err) != "EntityAlreadyExists" {
		t.Fatalf("enable twice: %v", err)
	}
	listed, err := root.ListMFADevices(ctx, &iamsdk.ListMFADevicesInput{UserName: aws.String("alice")})
	if err != nil || len(listed.MFADevices) != 1 || *listed.MFADevices[0].SerialNumber != serial || listed.MFADevices[0].EnableDate == nil {
		t.Fatalf("ListMFADevices: %+v %v", listed, err)
	}
	got, err := root.GetMFADevice(ctx, &iamsdk.GetMFADeviceInput{SerialNumber: aws.String(serial), UserName: aws.String("alice")})
	if err != nil || aws.ToString(got.UserName) != "alice" {
		t.Fatalf("GetMFADevice: %+v %v", got, err)
	}

	// Sign-in codes work once (STS's use).
	user, err := ts.IAM.VerifyMFA(ctx, testserver.Account, serial, code(t, seed, step+1), time.Now())
	if err != nil || user != "alice" {
		t.Fatalf("VerifyMFA: %q %v", user, err)
	}
	if _, err := ts.IAM.VerifyMFA(ctx, testserver.Account, serial, code(t, seed, step+1), time.Now()); !strings.Contains(fmt.Sprint(err), "AccessDenied") {
		t.Fatalf("replayed code accepted: %v", err)
	}
	if _, err := ts.IAM.VerifyMFA(ctx, testserver.Account, serial+"x", code(t, seed, step), time.Now()); err == nil {
		t.Fatal("unknown device accepted")
	}

	// Resync accepts a clock that has drifted minutes ahead.
	resync := func(c1, c2 string) error {
		_, err := root.ResyncMFADevice(ctx, &iamsdk.ResyncMFADeviceInput{UserName: aws.String("alice"), SerialNumber: aws.String(serial),
			AuthenticationCode1: aws.String(c1), AuthenticationCode2: aws.String(c2)})
		return err
	}
	var ae smithy.APIError
	if err := resync(code(t, seed, step+11), code(t, seed, step+10)); !errors.As(err, &ae) ||
		ae.ErrorCode() != "InvalidAuthenticationCode" || ae.ErrorMessage() != "Authentication code for device is not valid." {
		t.Fatalf("resync with bad codes: %v", err)
	}
	if err := resync(code(t, seed, step+10), code(t, seed, step+11)); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.IAM.VerifyMFA(ctx, testserver.Account, serial, code(t, seed, step+2), time.Now()); err == nil {
		t.Fatal("a code older than the resync was accepted")
	}

	if _, err := root.DeleteVirtualMFADevice(ctx, &iamsdk.DeleteVirtualMFADeviceInput{SerialNumber: aws.String(serial)}); apiCode(err) != "DeleteConflict" {
		t.Fatalf("delete assigned device: %v", err)
	}
	if _, err := root.DeactivateMFADevice(ctx, &iamsdk.DeactivateMFADeviceInput{UserName: aws.String("alice"), SerialNumber: aws.String(serial + "-nope")}); apiCode(err) != "NoSuchEntity" {
		t.Fatalf("deactivate unknown device: %v", err)
	}
	if _, err := root.DeactivateMFADevice(ctx, &iamsdk.DeactivateMFADeviceInput{UserName: aws.String("alice"), SerialNumber: aws.String(serial)}); err != nil {
		t.Fatal(err)
	}
	if _, err := root.GetMFADevice(ctx, &iamsdk.GetMFADeviceInput{SerialNumber: aws.String(serial), UserName: aws.String("alice")}); apiCode(err) != "NoSuchEntity" {
		t.Fatalf("GetMFADevice after deactivation: %v", err)
	}
	if _, err := root.DeleteVirtualMFADevice(ctx, &iamsdk.DeleteVirtualMFADeviceInput{SerialNumber: aws.String(serial)}); err != nil {
		t.Fatal(err)
	}
	if _, err := root.DeleteVirtualMFADevice(ctx, &iamsdk.DeleteVirtualMFADeviceInput{SerialNumber: aws.String(serial)}); apiCode(err) != "NoSuchEntity" {
		t.Fatalf("delete twice: %v", err)
	}
}

func TestVirtualMFADeviceListsAndTags(t *testing.T) {
	ts := testserver.Start(t)
	ctx := context.Background()
	root := ts.IAMClient()
	mustUser(t, root, "carol")
	var serials []string
	for _, name := range []string{"d1", "d2", "d3"} {
		out, err := root.CreateVirtualMFADevice(ctx, &iamsdk.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		serials = append(serials, *out.VirtualMFADevice.SerialNumber)
		if name == "d2" {
			seed, step := out.VirtualMFADevice.Base32StringSeed, nowStep()
			if _, err := root.EnableMFADevice(ctx, &iamsdk.EnableMFADeviceInput{UserName: aws.String("carol"), SerialNumber: out.VirtualMFADevice.SerialNumber,
				AuthenticationCode1: aws.String(code(t, seed, step-1)), AuthenticationCode2: aws.String(code(t, seed, step))}); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, tc := range []struct {
		status types.AssignmentStatusType
		want   int
	}{{"", 3}, {types.AssignmentStatusTypeAny, 3}, {types.AssignmentStatusTypeAssigned, 1}, {types.AssignmentStatusTypeUnassigned, 2}} {
		var n int
		p := iamsdk.NewListVirtualMFADevicesPaginator(root, &iamsdk.ListVirtualMFADevicesInput{AssignmentStatus: tc.status, MaxItems: aws.Int32(1)})
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range out.VirtualMFADevices {
				n++
				if d.Base32StringSeed != nil || d.QRCodePNG != nil {
					t.Fatal("a list returned a seed")
				}
				if d.User != nil && aws.ToString(d.User.UserName) != "carol" {
					t.Fatalf("user: %+v", d.User)
				}
			}
		}
		if n != tc.want {
			t.Errorf("AssignmentStatus %q: %d devices, want %d", tc.status, n, tc.want)
		}
	}

	if _, err := root.TagMFADevice(ctx, &iamsdk.TagMFADeviceInput{SerialNumber: aws.String(serials[0]),
		Tags: []types.Tag{{Key: aws.String("a"), Value: aws.String("1")}, {Key: aws.String("b"), Value: aws.String("2")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := root.UntagMFADevice(ctx, &iamsdk.UntagMFADeviceInput{SerialNumber: aws.String(serials[0]), TagKeys: []string{"A"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := root.ListMFADeviceTags(ctx, &iamsdk.ListMFADeviceTagsInput{SerialNumber: aws.String(serials[0])})
	if err != nil || len(tags.Tags) != 1 || *tags.Tags[0].Key != "b" {
		t.Fatalf("tags: %+v %v", tags, err)
	}
	if _, err := root.ListMFADeviceTags(ctx, &iamsdk.ListMFADeviceTagsInput{SerialNumber: aws.String("arn:aws:iam::" + testserver.Account + ":mfa/none")}); apiCode(err) != "NoSuchEntity" {
		t.Fatalf("tags of a missing device: %v", err)
	}
	if _, err := root.TagMFADevice(ctx, &iamsdk.TagMFADeviceInput{SerialNumber: aws.String(serials[0]),
		Tags: []types.Tag{{Key: aws.String("aws:x"), Value: aws.String("1")}}}); apiCode(err) != "InvalidInput" {
		t.Fatalf("reserved tag key: %v", err)
	}
	// Up to 8 devices per user, listed in pages.
	for i := 0; ; i++ {
		out, err := root.CreateVirtualMFADevice(ctx, &iamsdk.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String(fmt.Sprintf("extra%d", i))})
		if err != nil {
			t.Fatal(err)
		}
		seed, step := out.VirtualMFADevice.Base32StringSeed, nowStep()
		_, err = root.EnableMFADevice(ctx, &iamsdk.EnableMFADeviceInput{UserName: aws.String("carol"), SerialNumber: out.VirtualMFADevice.SerialNumber,
			AuthenticationCode1: aws.String(code(t, seed, step-1)), AuthenticationCode2: aws.String(code(t, seed, step))})
		if i < 7 && err != nil {
			t.Fatal(err)
		}
		if i == 7 {
			if apiCode(err) != "LimitExceeded" {
				t.Fatalf("ninth device: %v", err)
			}
			break
		}
	}
	pages, n := 0, 0
	lp := iamsdk.NewListMFADevicesPaginator(root, &iamsdk.ListMFADevicesInput{UserName: aws.String("CAROL"), MaxItems: aws.Int32(3)})
	for lp.HasMorePages() {
		out, err := lp.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages, n = pages+1, n+len(out.MFADevices)
	}
	if pages != 3 || n != 8 {
		t.Fatalf("ListMFADevices: %d devices in %d pages", n, pages)
	}
	if _, err := root.ListMFADevices(ctx, &iamsdk.ListMFADevicesInput{UserName: aws.String("nobody")}); apiCode(err) != "NoSuchEntity" {
		t.Fatalf("devices of a missing user: %v", err)
	}
	if out, err := root.ListMFADevices(ctx, &iamsdk.ListMFADevicesInput{}); err != nil || len(out.MFADevices) != 0 {
		t.Fatalf("root's devices: %+v %v", out, err)
	}
}

// TestMFASelfService: a user allowed MFA actions on mfa/${aws:username}
// manages a device of that name only.
func TestMFASelfService(t *testing.T) {
	ts := testserver.Start(t)
	ctx := context.Background()
	root := ts.IAMClient()
	mustUser(t, root, "dave")
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:CreateVirtualMFADevice","iam:DeleteVirtualMFADevice"],
		"Resource":"arn:aws:iam::*:mfa/${aws:username}"},{"Effect":"Allow","Action":["iam:EnableMFADevice","iam:ListMFADevices"],
		"Resource":"arn:aws:iam::*:user/${aws:username}"}]}`
	if _, err := root.PutUserPolicy(ctx, &iamsdk.PutUserPolicyInput{UserName: aws.String("dave"), PolicyName: aws.String("mfa"), PolicyDocument: aws.String(policy)}); err != nil {
		t.Fatal(err)
	}
	key, err := root.CreateAccessKey(ctx, &iamsdk.CreateAccessKeyInput{UserName: aws.String("dave")})
	if err != nil {
		t.Fatal(err)
	}
	dave := iamsdk.NewFromConfig(ts.Config(*key.AccessKey.AccessKeyId, *key.AccessKey.SecretAccessKey))
	if _, err := dave.CreateVirtualMFADevice(ctx, &iamsdk.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("erin")}); apiCode(err) != "AccessDenied" {
		t.Fatalf("device for another name: %v", err)
	}
	out, err := dave.CreateVirtualMFADevice(ctx, &iamsdk.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("dave")})
	if err != nil {
		t.Fatal(err)
	}
	seed, step := out.VirtualMFADevice.Base32StringSeed, nowStep()
	if _, err := dave.EnableMFADevice(ctx, &iamsdk.EnableMFADeviceInput{UserName: aws.String("dave"), SerialNumber: out.VirtualMFADevice.SerialNumber,
		AuthenticationCode1: aws.String(code(t, seed, step-1)), AuthenticationCode2: aws.String(code(t, seed, step))}); err != nil {
		t.Fatal(err)
	}
	mine, err := dave.ListMFADevices(ctx, &iamsdk.ListMFADevicesInput{})
	if err != nil || len(mine.MFADevices) != 1 {
		t.Fatalf("own devices: %+v %v", mine, err)
	}
	if _, err := dave.ListMFADevices(ctx, &iamsdk.ListMFADevicesInput{UserName: aws.String("root-ish")}); apiCode(err) != "AccessDenied" {
		t.Fatalf("another user's devices: %v", err)
	}
}

// mustUser creates a user or fails the test.
func mustUser(t *testing.T, c *iamsdk.Client, name string) {
	t.Helper()
	if _, err := c.CreateUser(context.Background(), &iamsdk.CreateUserInput{UserName: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
}
