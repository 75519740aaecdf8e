package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	stssdk "github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"

	"github.com/gatehouse-iam/gatehouse/internal/testserver"
	"github.com/gatehouse-iam/gatehouse/sts"
)

// stsFixture is a test server whose clock the test can move forward, with
// clients that sign with the same moved clock (requests must be signed
// within 15 minutes of the server's time).
type stsFixture struct {
	t      *testing.T
	ctx    context.Context
	ts     *testserver.Server
	offset *atomic.Int64 // nanoseconds the server's clock is ahead of time.Now
	root   *iamsdk.Client
}

func newSTSFixture(t *testing.T) *stsFixture {
	f := &stsFixture{t: t, ctx: context.Background(), offset: new(atomic.Int64)}
	f.ts = testserver.StartWith(t, testserver.Options{Now: func() time.Time { return time.Now().Add(time.Duration(f.offset.Load())) }})
	f.root = f.iam(f.ts.RootConfig())
	return f
}

// advance moves the server's clock, and the clients' signing clock, by d.
func (f *stsFixture) advance(d time.Duration) { f.offset.Add(int64(d)) }

// shiftedSigner signs with the fixture's moved clock.
type shiftedSigner struct {
	offset *atomic.Int64
	signer *v4.Signer
}

func (s shiftedSigner) SignHTTP(ctx context.Context, creds aws.Credentials, r *http.Request, payloadHash, service, region string,
	at time.Time, opts ...func(*v4.SignerOptions)) error {
	return s.signer.SignHTTP(ctx, creds, r, payloadHash, service, region, at.Add(time.Duration(s.offset.Load())), opts...)
}

func (f *stsFixture) sts(cfg aws.Config) *stssdk.Client {
	return stssdk.NewFromConfig(cfg, func(o *stssdk.Options) { o.HTTPSignerV4 = shiftedSigner{f.offset, v4.NewSigner()} })
}

func (f *stsFixture) iam(cfg aws.Config) *iamsdk.Client {
	return iamsdk.NewFromConfig(cfg, func(o *iamsdk.Options) { o.HTTPSignerV4 = shiftedSigner{f.offset, v4.NewSigner()} })
}

func (f *stsFixture) must(_ any, err error) {
	f.t.Helper()
	if err != nil {
		f.t.Fatal(err)
	}
}

// user creates a user with an inline policy (none when "") and returns an
// SDK configuration with its access key.
func (f *stsFixture) user(name, policy string) aws.Config {
	f.t.Helper()
	f.must(f.root.CreateUser(f.ctx, &iamsdk.CreateUserInput{UserName: aws.String(name)}))
	if policy != "" {
		f.must(f.root.PutUserPolicy(f.ctx, &iamsdk.PutUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String("p"), PolicyDocument: aws.String(policy)}))
	}
	key, err := f.root.CreateAccessKey(f.ctx, &iamsdk.CreateAccessKeyInput{UserName: aws.String(name)})
	f.must(key, err)
	return f.ts.Config(*key.AccessKey.AccessKeyId, *key.AccessKey.SecretAccessKey)
}

// role creates a role with a trust policy, an inline permission policy
// (none when "") and a maximum session duration (the default when 0).
func (f *stsFixture) role(name, trust, policy string, maxSession int32) string {
	f.t.Helper()
	in := &iamsdk.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust)}
	if maxSession != 0 {
		in.MaxSessionDuration = aws.Int32(maxSession)
	}
	f.must(f.root.CreateRole(f.ctx, in))
	if policy != "" {
		f.must(f.root.PutRolePolicy(f.ctx, &iamsdk.PutRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String("p"), PolicyDocument: aws.String(policy)}))
	}
	return "arn:aws:iam::" + testserver.Account + ":role/" + name
}

// session returns the configuration of temporary credentials.
func (f *stsFixture) session(c *ststypes.Credentials) aws.Config { return sessionConfig(f.ts, c) }

// Policy documents the tests share.
const (
	// trustAccount trusts every principal of the account whose own policies
	// allow assuming the role, for the session features too.
	trustAccount = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},
		"Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"]}}`
	allowSTS       = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sts:*","Resource":"*"}}`
	allowListUsers = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["iam:ListUsers","sts:AssumeRole","sts:TagSession"],"Resource":"*"}}`
)

func doc(statements ...string) string {
	return `{"Version":"2012-10-17","Statement":[` + strings.Join(statements, ",") + `]}`
}

func tags(kv ...string) []ststypes.Tag {
	var out []ststypes.Tag
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, ststypes.Tag{Key: aws.String(kv[i]), Value: aws.String(kv[i+1])})
	}
	return out
}

// wantErr fails unless err is the AWS error code with a message containing
// every fragment.
func wantErr(t *testing.T, what string, err error, code string, fragments ...string) {
	t.Helper()
	if apiCode(err) != code {
		t.Errorf("%s: %v, want %s", what, err, code)
		return
	}
	for _, f := range fragments {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("%s: %v, want a message containing %q", what, err, f)
		}
	}
}

func TestAssumeRoleParameterErrors(t *testing.T) {
	f := newSTSFixture(t)
	dev := f.sts(f.user("dev", allowSTS))
	roleARN := f.role("app", trustAccount, allowListUsers, 0)
	longRole := f.role("long", trustAccount, "", 7200)
	bigPolicy := doc(strings.Repeat(`{"Effect":"Allow","Action":"iam:ListUsers","Resource":"arn:aws:iam::123456789012:user/x"},`, 20) +
		`{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*"}`)
	var manyTags, longTags []string
	for i := range 51 {
		manyTags = append(manyTags, fmt.Sprintf("k%d", i), "v")
	}
	for i := range 10 {
		longTags = append(longTags, fmt.Sprintf("k%d", i), strings.Repeat("v", 256))
	}
	var elevenARNs []ststypes.PolicyDescriptorType
	for range 11 {
		elevenARNs = append(elevenARNs, ststypes.PolicyDescriptorType{Arn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")})
	}
	for _, tc := range []struct {
		name      string
		in        stssdk.AssumeRoleInput
		code      string
		fragments []string
	}{
		{"not a role ARN", stssdk.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::123456789012:user/dev")}, "ValidationError", []string{"is invalid"}},
		{"not an ARN", stssdk.AssumeRoleInput{RoleArn: aws.String("this-is-not-an-arn-at-all")}, "ValidationError", nil},
		{"too short for an ARN", stssdk.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam")}, "ValidationError", []string{"roleArn"}},
		{"nonexistent role", stssdk.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::123456789012:role/nope")}, "AccessDenied",
			[]string{"user/dev is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::123456789012:role/nope"}},
		{"duration below 900", stssdk.AssumeRoleInput{DurationSeconds: aws.Int32(899)}, "ValidationError", []string{"greater than or equal to 900"}},
		{"duration above the role's maximum", stssdk.AssumeRoleInput{DurationSeconds: aws.Int32(3601)}, "ValidationError",
			[]string{"The requested DurationSeconds exceeds the MaxSessionDuration set for this role."}},
		{"duration above 12 hours", stssdk.AssumeRoleInput{RoleArn: aws.String(longRole), DurationSeconds: aws.Int32(43201)}, "ValidationError",
			[]string{"less than or equal to 43200"}},
		{"malformed session policy", stssdk.AssumeRoleInput{Policy: aws.String(`{"Version":"2012-10-17","Statement":`)}, "MalformedPolicyDocument", nil},
		{"session policy with an unknown element", stssdk.AssumeRoleInput{Policy: aws.String(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Bogus":1}}`)},
			"MalformedPolicyDocument", nil},
		{"packed policies and tags too large", stssdk.AssumeRoleInput{Policy: aws.String(bigPolicy), Tags: tags(longTags...)}, "PackedPolicyTooLarge",
			[]string{"Packed size of consumed session policies and session tags exceeds limit"}},
		{"eleven policy ARNs", stssdk.AssumeRoleInput{PolicyArns: elevenARNs}, "ValidationError", []string{"policyArns", "less than or equal to 10"}},
		{"unknown policy ARN", stssdk.AssumeRoleInput{PolicyArns: []ststypes.PolicyDescriptorType{{Arn: aws.String("arn:aws:iam::123456789012:policy/none")}}},
			"InvalidParameterValue", nil},
		{"51 tags", stssdk.AssumeRoleInput{Tags: tags(manyTags...)}, "ValidationError", []string{"less than or equal to 50"}},
		{"duplicate tag keys", stssdk.AssumeRoleInput{Tags: tags("team", "a", "Team", "b")}, "InvalidParameterValue", []string{"Duplicate tag keys found"}},
		{"transitive key not among the tags", stssdk.AssumeRoleInput{Tags: tags("team", "a"), TransitiveTagKeys: []string{"project"}}, "InvalidParameterValue",
			[]string{"transitive tag key must be included in the requested tags"}},
		{"source identity starting with aws:", stssdk.AssumeRoleInput{SourceIdentity: aws.String("aws:alice")}, "ValidationError", []string{"sourceIdentity"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			if in.RoleArn == nil {
				in.RoleArn = aws.String(roleARN)
			}
			in.RoleSessionName = aws.String("s1")
			_, err := dev.AssumeRole(f.ctx, &in)
			wantErr(t, tc.name, err, tc.code, tc.fragments...)
		})
	}
	// The same requests within the limits succeed.
	out, err := dev.AssumeRole(f.ctx, &stssdk.AssumeRoleInput{RoleArn: aws.String(longRole), RoleSessionName: aws.String("s1"), DurationSeconds: aws.Int32(7200),
		Tags: tags(manyTags[:100]...), PolicyArns: elevenARNs[:10], SourceIdentity: aws.String("alice")})
	if err != nil {
		t.Fatalf("AssumeRole within every limit: %v", err)
	}
	if d := out.Credentials.Expiration.Sub(time.Now()); d < 7190*time.Second || d > 7210*time.Second {
		t.Fatalf("two-hour session expires in %v", d)
	}
}

func TestRoleChaining(t *testing.T) {
	f := newSTSFixture(t)
	dev := f.sts(f.user("dev", allowSTS))
	first := f.role("first", trustAccount, allowListUsers, 0)
	// second's trust policy requires the source identity set in the first
	// session, and its permissions the transitive tag.
	second := f.role("second", doc(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},
		"Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"],"Condition":{"StringEquals":{"sts:SourceIdentity":"alice","aws:SourceIdentity":"alice"}}}`),
		doc(`{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/project":"apollo","aws:SourceIdentity":"alice"}}}`,
			`{"Effect":"Allow","Action":"iam:ListRoles","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"blue"}}}`), 0)
	third := f.role("third", doc(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":["sts:AssumeRole","sts:TagSession"],
		"Condition":{"StringEquals":{"sts:SourceIdentity":"bob"}}}`), "", 0)

	s1, err := dev.AssumeRole(f.ctx, &stssdk.AssumeRoleInput{RoleArn: aws.String(first), RoleSessionName: aws.String("one"),
		SourceIdentity: aws.String("alice"), Tags: tags("project", "apollo", "team", "blue"), TransitiveTagKeys: []string{"project"}})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(s1.SourceIdentity) != "alice" {
		t.Fatalf("SourceIdentity %q", aws.ToString(s1.SourceIdentity))
	}
	chain := f.sts(f.session(s1.Credentials))
	for _, tc := range []struct {
		name      string
		in        stssdk.AssumeRoleInput
		code      string
		fragments []string
	}{
		{"longer than an hour", stssdk.AssumeRoleInput{RoleArn: aws.String(second), DurationSeconds: aws.Int32(3601)}, "ValidationError",
			[]string{"The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."}},
		{"source identity changed", stssdk.AssumeRoleInput{RoleArn: aws.String(second), SourceIdentity: aws.String("mallory")}, "InvalidParameterValue", nil},
		{"transitive tag overridden", stssdk.AssumeRoleInput{RoleArn: aws.String(second), Tags: tags("project", "other")}, "InvalidParameterValue",
			[]string{"transitive tags"}},
		{"trust requires another source identity", stssdk.AssumeRoleInput{RoleArn: aws.String(third)}, "AccessDenied",
			[]string{"assumed-role/first/one is not authorized to perform: sts:AssumeRole on resource: " + third}},
	} {
		in := tc.in
		in.RoleSessionName = aws.String("two")
		_, err := chain.AssumeRole(f.ctx, &in)
		wantErr(t, tc.name, err, tc.code, tc.fragments...)
	}
	s2, err := chain.AssumeRole(f.ctx, &stssdk.AssumeRoleInput{RoleArn: aws.String(second), RoleSessionName: aws.String("two"), DurationSeconds: aws.Int32(3600)})
	if err != nil {
		t.Fatalf("chained AssumeRole for one hour: %v", err)
	}
	if aws.ToString(s2.SourceIdentity) != "alice" {
		t.Fatalf("chained session's SourceIdentity %q, want alice (persisted)", aws.ToString(s2.SourceIdentity))
	}
	secondIAM := f.iam(f.session(s2.Credentials))
	if _, err := secondIAM.ListUsers(f.ctx, &iamsdk.ListUsersInput{}); err != nil {
		t.Fatalf("the transitive tag and source identity as aws:PrincipalTag/project and aws:SourceIdentity: %v", err)
	}
	_, err = secondIAM.ListRoles(f.ctx, &iamsdk.ListRolesInput{})
	wantErr(t, "a non-transitive tag after chaining", err, "AccessDenied", "because no identity-based policy allows the iam:ListRoles action")
}

func TestSessionTags(t *testing.T) {
	f := newSTSFixture(t)
	dev := f.sts(f.user("dev", allowSTS))
	tagged := f.role("tagged", trustAccount, doc(`{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"blue"}}}`), 0)
	noTagging := f.role("no-tagging", doc(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}`), "", 0)

	_, err := dev.AssumeRole(f.ctx, &stssdk.AssumeRoleInput{RoleArn: aws.String(noTagging), RoleSessionName: aws.String("s1"), Tags: tags("team", "blue")})
	wantErr(t, "tags without sts:TagSession in the trust policy", err, "AccessDenied", "is not authorized to perform: sts:TagSession on resource: "+noTagging)
	if _, err := dev.AssumeRole(f.ctx, &stssdk.AssumeRoleInput{RoleArn: aws.String(noTagging), RoleSessionName: aws.String("s1")}); err != nil {
		t.Fatalf("the same role without tags: %v", err)
	}

	for _, tc := range []struct {
		team string
		want string
	}{{"blue", ""}, {"red", "AccessDenied"}} {
		out, err := dev.AssumeRole(f.ctx, &stssdk.AssumeRoleInput{RoleArn: aws.String(tagged), RoleSessionName: aws.String("s1"), Tags: tags("team", tc.team)})
		if err != nil {
			t.Fatal(err)
		}
		if out.PackedPolicySize == nil {
			t.Errorf("team=%s: no PackedPolicySize with session tags", tc.team)
		}
		_, err = f.iam(f.session(out.Credentials)).ListUsers(f.ctx, &iamsdk.ListUsersInput{})
		if apiCode(err) != tc.want {
			t.Errorf("session tagged team=%s: ListUsers %v, want %q", tc.team, err, tc.want)
		}
	}
}

// enableMFA gives a user a virtual MFA device and returns its serial number
// and seed; the enabling codes are three and two steps old, so that the
// current step and the next are still unused.
func (f *stsFixture) enableMFA(user string) (string, []byte) {
	f.t.Helper()
	dev, err := f.root.CreateVirtualMFADevice(f.ctx, &iamsdk.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String(user + "-phone")})
	f.must(dev, err)
	serial, seed, step := *dev.VirtualMFADevice.SerialNumber, dev.VirtualMFADevice.Base32StringSeed, nowStep()
	f.must(f.root.EnableMFADevice(f.ctx, &iamsdk.EnableMFADeviceInput{UserName: aws.String(user), SerialNumber: aws.String(serial),
		AuthenticationCode1: aws.String(code(f.t, seed, step-3)), AuthenticationCode2: aws.String(code(f.t, seed, step-2))}))
	return serial, seed
}

func TestMFAProtectedAssumeRole(t *testing.T) {
	f := newSTSFixture(t)
	alice := f.sts(f.user("alice", allowSTS))
	serial, seed := f.enableMFA("alice")
	admin := f.role("admin", doc(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/alice"},"Action":"sts:AssumeRole",
		"Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"},"NumericLessThan":{"aws:MultiFactorAuthAge":"300"}}}`), allowListUsers, 0)
	assume := func(serial, code *string) (*stssdk.AssumeRoleOutput, error) {
		return alice.AssumeRole(f.ctx, &stssdk.AssumeRoleInput{RoleArn: aws.String(admin), RoleSessionName: aws.String("alice"), SerialNumber: serial, TokenCode: code})
	}
	_, err := assume(nil, nil)
	wantErr(t, "without MFA", err, "AccessDenied", "user/alice is not authorized to perform: sts:AssumeRole on resource: "+admin)
	_, err = assume(aws.String(serial), aws.String("000000"))
	wantErr(t, "wrong code", err, "AccessDenied", "MultiFactorAuthentication failed")
	_, err = assume(aws.String(serial), nil)
	wantErr(t, "serial number without a code", err, "ValidationError")
	step := nowStep()
	out, err := assume(aws.String(serial), aws.String(code(t, seed, step)))
	if err != nil {
		t.Fatalf("with MFA: %v", err)
	}
	_, err = assume(aws.String(serial), aws.String(code(t, seed, step)))
	wantErr(t, "replayed code", err, "AccessDenied")
	if _, err := f.iam(f.session(out.Credentials)).ListUsers(f.ctx, &iamsdk.ListUsersInput{}); err != nil {
		t.Fatalf("MFA session: %v", err)
	}
}

func TestGetSessionTokenWithMFA(t *testing.T) {
	f := newSTSFixture(t)
	bobCfg := f.user("bob", doc(`{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}`,
		`{"Effect":"Allow","Action":"iam:ListRoles","Resource":"*","Condition":{"NumericLessThan":{"aws:MultiFactorAuthAge":"3600"}}}`))
	bob := f.sts(bobCfg)
	serial, seed := f.enableMFA("bob")

	_, err := f.iam(bobCfg).ListUsers(f.ctx, &iamsdk.ListUsersInput{})
	wantErr(t, "long-term keys", err, "AccessDenied")
	plain, err := bob.GetSessionToken(f.ctx, &stssdk.GetSessionTokenInput{DurationSeconds: aws.Int32(900)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.iam(f.session(plain.Credentials)).ListUsers(f.ctx, &iamsdk.ListUsersInput{})
	wantErr(t, "session without MFA", err, "AccessDenied")

	withMFA, err := bob.GetSessionToken(f.ctx, &stssdk.GetSessionTokenInput{SerialNumber: aws.String(serial), TokenCode: aws.String(code(t, seed, nowStep()))})
	if err != nil {
		t.Fatal(err)
	}
	mfaIAM := f.iam(f.session(withMFA.Credentials))
	if _, err := mfaIAM.ListUsers(f.ctx, &iamsdk.ListUsersInput{}); err != nil {
		t.Fatalf("aws:MultiFactorAuthPresent in a session from GetSessionToken with MFA: %v", err)
	}
	if _, err := mfaIAM.ListRoles(f.ctx, &iamsdk.ListRolesInput{}); err != nil {
		t.Fatalf("aws:MultiFactorAuthAge just after authenticating: %v", err)
	}
	f.advance(time.Hour + time.Minute)
	_, err = mfaIAM.ListRoles(f.ctx, &iamsdk.ListRolesInput{})
	wantErr(t, "aws:MultiFactorAuthAge an hour later", err, "AccessDenied")

	// GetSessionToken and GetFederationToken refuse session credentials.
	sessSTS := f.sts(f.session(withMFA.Credentials))
	_, err = sessSTS.GetSessionToken(f.ctx, &stssdk.GetSessionTokenInput{})
	wantErr(t, "GetSessionToken with session credentials", err, "AccessDenied", "Cannot call GetSessionToken with session credentials")
	_, err = sessSTS.GetFederationToken(f.ctx, &stssdk.GetFederationTokenInput{Name: aws.String("xy")})
	wantErr(t, "GetFederationToken with session credentials", err, "AccessDenied", "Cannot call GetFederationToken with session credentials")
}

func TestExpiredAndAlteredTokens(t *testing.T) {
	f := newSTSFixture(t)
	dev := f.sts(f.user("dev", allowSTS))
	roleARN := f.role("app", trustAccount, allowListUsers, 0)
	role, err := dev.AssumeRole(f.ctx, &stssdk.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("s1"), DurationSeconds: aws.Int32(900)})
	if err != nil {
		t.Fatal(err)
	}
	user, err := dev.GetSessionToken(f.ctx, &stssdk.GetSessionTokenInput{DurationSeconds: aws.Int32(1800)})
	if err != nil {
		t.Fatal(err)
	}
	altered := *role.Credentials
	tok := []byte(*altered.SessionToken)
	tok[len(tok)/2] ^= 'A' ^ 'B'
	altered.SessionToken = aws.String(string(tok))
	swapped := *user.Credentials // another session's token with this session's key
	swapped.SessionToken = role.Credentials.SessionToken
	for _, tc := range []struct {
		name  string
		creds *ststypes.Credentials
		want  string
	}{
		{"role session", role.Credentials, ""},
		{"user session", user.Credentials, ""},
		{"altered token", &altered, "InvalidClientTokenId"},
		{"token of another session", &swapped, "InvalidClientTokenId"},
	} {
		_, err := f.sts(f.session(tc.creds)).GetCallerIdentity(f.ctx, &stssdk.GetCallerIdentityInput{})
		if apiCode(err) != tc.want {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
	f.advance(15*time.Minute + time.Second)
	_, err = f.sts(f.session(role.Credentials)).GetCallerIdentity(f.ctx, &stssdk.GetCallerIdentityInput{})
	wantErr(t, "role session after 15 minutes", err, "ExpiredToken", "The security token included in the request is expired")
	if _, err := f.iam(f.session(user.Credentials)).ListUsers(f.ctx, &iamsdk.ListUsersInput{}); apiCode(err) == "ExpiredToken" {
		t.Fatalf("30-minute session after 15 minutes: %v", err)
	}
	f.advance(15 * time.Minute)
	_, err = f.iam(f.session(user.Credentials)).ListUsers(f.ctx, &iamsdk.ListUsersInput{})
	wantErr(t, "user session after 30 minutes", err, "ExpiredToken")
}

// TestRevokeOlderSessions is AWS's "revoke active sessions" pattern: an
// inline policy denying everything to sessions issued before a time.
func TestRevokeOlderSessions(t *testing.T) {
	f := newSTSFixture(t)
	dev := f.sts(f.user("dev", allowSTS))
	roleARN := f.role("app", trustAccount, allowListUsers, 0)
	assume := func() *iamsdk.Client {
		out, err := dev.AssumeRole(f.ctx, &stssdk.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("s1")})
		if err != nil {
			t.Fatal(err)
		}
		return f.iam(f.session(out.Credentials))
	}
	old := assume()
	f.must(old.ListUsers(f.ctx, &iamsdk.ListUsersInput{}))
	cutoff := time.Now().Add(time.Duration(f.offset.Load()) + time.Minute).UTC().Format(time.RFC3339)
	f.must(f.root.PutRolePolicy(f.ctx, &iamsdk.PutRolePolicyInput{RoleName: aws.String("app"), PolicyName: aws.String("AWSRevokeOlderSessions"),
		PolicyDocument: aws.String(doc(`{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"DateLessThan":{"aws:TokenIssueTime":"` + cutoff + `"}}}`))}))
	f.advance(2 * time.Minute)
	_, err := old.ListUsers(f.ctx, &iamsdk.ListUsersInput{})
	wantErr(t, "session issued before the cutoff", err, "AccessDenied", "with an explicit deny in an identity-based policy")
	if _, err := assume().ListUsers(f.ctx, &iamsdk.ListUsersInput{}); err != nil {
		t.Fatalf("session issued after the cutoff: %v", err)
	}
}

func TestTokenDurationLimits(t *testing.T) {
	f := newSTSFixture(t)
	root := f.sts(f.ts.RootConfig())
	dev := f.sts(f.user("dev", allowSTS))
	for _, tc := range []struct {
		name string
		call func() error
		want string
	}{
		{"root GetFederationToken for an hour", func() error {
			_, err := root.GetFederationToken(f.ctx, &stssdk.GetFederationTokenInput{Name: aws.String("fed"), DurationSeconds: aws.Int32(3600)})
			return err
		}, ""},
		{"root GetFederationToken for longer", func() error {
			_, err := root.GetFederationToken(f.ctx, &stssdk.GetFederationTokenInput{Name: aws.String("fed"), DurationSeconds: aws.Int32(3601)})
			return err
		}, "ValidationError"},
		{"root GetSessionToken for longer than an hour", func() error {
			_, err := root.GetSessionToken(f.ctx, &stssdk.GetSessionTokenInput{DurationSeconds: aws.Int32(3601)})
			return err
		}, "ValidationError"},
		{"user GetFederationToken for 36 hours", func() error {
			_, err := dev.GetFederationToken(f.ctx, &stssdk.GetFederationTokenInput{Name: aws.String("fed"), DurationSeconds: aws.Int32(129600)})
			return err
		}, ""},
		{"user GetFederationToken for longer", func() error {
			_, err := dev.GetFederationToken(f.ctx, &stssdk.GetFederationTokenInput{Name: aws.String("fed"), DurationSeconds: aws.Int32(129601)})
			return err
		}, "ValidationError"},
		{"user GetSessionToken below 15 minutes", func() error {
			_, err := dev.GetSessionToken(f.ctx, &stssdk.GetSessionTokenInput{DurationSeconds: aws.Int32(899)})
			return err
		}, "ValidationError"},
		{"GetFederationToken with a malformed policy", func() error {
			_, err := dev.GetFederationToken(f.ctx, &stssdk.GetFederationTokenInput{Name: aws.String("fed"), Policy: aws.String("{")})
			return err
		}, "MalformedPolicyDocument"},
		{"GetFederationToken with duplicate tags", func() error {
			_, err := dev.GetFederationToken(f.ctx, &stssdk.GetFederationTokenInput{Name: aws.String("fed"), Tags: tags("a", "1", "A", "2")})
			return err
		}, "InvalidParameterValue"},
	} {
		if err := tc.call(); apiCode(err) != tc.want {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
	// A user without sts:GetFederationToken is refused.
	none := f.sts(f.user("none", ""))
	_, err := none.GetFederationToken(f.ctx, &stssdk.GetFederationTokenInput{Name: aws.String("fed")})
	wantErr(t, "GetFederationToken without permission", err, "AccessDenied", "is not authorized to perform: sts:GetFederationToken")
}

// authorizationMessage is the encoded message a denied request's response
// carried.
func authorizationMessage(err error) string {
	var re *awshttp.ResponseError
	if errors.As(err, &re) && re.Response != nil {
		return re.Response.Header.Get(sts.MessageHeader)
	}
	return ""
}

func TestDecodeAuthorizationMessage(t *testing.T) {
	f := newSTSFixture(t)
	limitedCfg := f.user("limited", doc(`{"Sid":"NoUsers","Effect":"Deny","Action":"iam:CreateUser","Resource":"*"}`,
		`{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*"}`))
	auditor := f.sts(f.user("auditor", doc(`{"Effect":"Allow","Action":"sts:DecodeAuthorizationMessage","Resource":"*"}`)))
	limitedIAM, limitedSTS := f.iam(limitedCfg), f.sts(limitedCfg)

	_, err := limitedIAM.CreateUser(f.ctx, &iamsdk.CreateUserInput{UserName: aws.String("x")})
	wantErr(t, "explicitly denied CreateUser", err, "AccessDenied", "with an explicit deny in an identity-based policy")
	explicit := authorizationMessage(err)
	_, err = limitedIAM.DeleteRole(f.ctx, &iamsdk.DeleteRoleInput{RoleName: aws.String("r")})
	implicit := authorizationMessage(err)
	_, err = limitedSTS.AssumeRole(f.ctx, &stssdk.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::123456789012:role/none"), RoleSessionName: aws.String("s1")})
	assumeMsg := authorizationMessage(err)
	if explicit == "" || implicit == "" || assumeMsg == "" {
		t.Fatalf("denials without an encoded message: explicit %q, implicit %q, AssumeRole %q", explicit, implicit, assumeMsg)
	}

	// Only principals allowed sts:DecodeAuthorizationMessage decode.
	_, err = limitedSTS.DecodeAuthorizationMessage(f.ctx, &stssdk.DecodeAuthorizationMessageInput{EncodedMessage: aws.String(explicit)})
	wantErr(t, "decoding without permission", err, "AccessDenied", "user/limited is not authorized to perform: sts:DecodeAuthorizationMessage")

	type decoded struct {
		Allowed           bool `json:"allowed"`
		ExplicitDeny      bool `json:"explicitDeny"`
		MatchedStatements struct {
			Items []struct {
				StatementID string `json:"statementId"`
				Effect      string `json:"effect"`
			} `json:"items"`
		} `json:"matchedStatements"`
		Context struct {
			Principal  struct{ ID, Name, ARN string } `json:"principal"`
			Action     string                         `json:"action"`
			Resource   string                         `json:"resource"`
			Conditions struct {
				Items []struct {
					Key    string `json:"key"`
					Values struct {
						Items []struct{ Value string } `json:"items"`
					} `json:"values"`
				} `json:"items"`
			} `json:"conditions"`
		} `json:"context"`
	}
	decode := func(client *stssdk.Client, msg string) (decoded, error) {
		var d decoded
		out, err := client.DecodeAuthorizationMessage(f.ctx, &stssdk.DecodeAuthorizationMessageInput{EncodedMessage: aws.String(msg)})
		if err != nil {
			return d, err
		}
		return d, json.Unmarshal([]byte(*out.DecodedMessage), &d)
	}
	for _, tc := range []struct {
		name, msg, action, resource string
		explicit                    bool
		sid                         string
	}{
		{"explicit deny", explicit, "iam:CreateUser", "arn:aws:iam::123456789012:user/x", true, "NoUsers"},
		{"implicit deny", implicit, "iam:DeleteRole", "arn:aws:iam::123456789012:role/r", false, ""},
		{"nonexistent role", assumeMsg, "sts:AssumeRole", "arn:aws:iam::123456789012:role/none", false, ""},
	} {
		for _, who := range []struct {
			name   string
			client *stssdk.Client
		}{{"auditor", auditor}, {"root", f.sts(f.ts.RootConfig())}} {
			d, err := decode(who.client, tc.msg)
			if err != nil {
				t.Fatalf("%s decoded by %s: %v", tc.name, who.name, err)
			}
			if d.Allowed || d.ExplicitDeny != tc.explicit || d.Context.Action != tc.action || d.Context.Resource != tc.resource ||
				d.Context.Principal.ARN != "arn:aws:iam::123456789012:user/limited" || d.Context.Principal.Name != "limited" ||
				!strings.HasPrefix(d.Context.Principal.ID, "AIDA") {
				t.Errorf("%s decoded by %s: %+v", tc.name, who.name, d)
			}
			if tc.sid != "" && (len(d.MatchedStatements.Items) != 1 || d.MatchedStatements.Items[0].StatementID != tc.sid ||
				d.MatchedStatements.Items[0].Effect != "DENY") {
				t.Errorf("%s: matched statements %+v", tc.name, d.MatchedStatements.Items)
			}
			found := false
			for _, c := range d.Context.Conditions.Items {
				found = found || (c.Key == "aws:sourceip" && len(c.Values.Items) == 1 && c.Values.Items[0].Value == "127.0.0.1")
			}
			if !found {
				t.Errorf("%s: the request's aws:SourceIp is not among the conditions: %+v", tc.name, d.Context.Conditions.Items)
			}
		}
	}
	tampered := []byte(explicit)
	tampered[len(tampered)/2] ^= 1
	for name, msg := range map[string]string{
		"tampered":        string(tampered),
		"not base64":      "%%%",
		"a session token": "AQAAAAE" + explicit[7:],
		"truncated":       explicit[:20],
	} {
		_, err := decode(auditor, msg)
		wantErr(t, name+" message", err, "InvalidAuthorizationMessageException")
	}
	// Errors other than AccessDenied carry no message.
	_, err = f.root.GetUser(f.ctx, &iamsdk.GetUserInput{UserName: aws.String("nobody")})
	if apiCode(err) != "NoSuchEntity" || authorizationMessage(err) != "" {
		t.Fatalf("NoSuchEntity: %v, message %q", err, authorizationMessage(err))
	}
}

// TestCallerIdentityNeedsNoPermission: GetCallerIdentity answers even a
// caller whose policies deny everything; GetAccessKeyInfo names the account
// of a key.
func TestCallerIdentityNeedsNoPermission(t *testing.T) {
	f := newSTSFixture(t)
	cfg := f.user("locked", doc(`{"Effect":"Deny","Action":"*","Resource":"*"}`))
	locked := f.sts(cfg)
	who, err := locked.GetCallerIdentity(f.ctx, &stssdk.GetCallerIdentityInput{})
	if err != nil || aws.ToString(who.Arn) != "arn:aws:iam::123456789012:user/locked" {
		t.Fatalf("GetCallerIdentity with Deny *: %+v %v", who, err)
	}
	key, _ := cfg.Credentials.Retrieve(f.ctx)
	info, err := f.sts(f.ts.RootConfig()).GetAccessKeyInfo(f.ctx, &stssdk.GetAccessKeyInfoInput{AccessKeyId: aws.String(key.AccessKeyID)})
	if err != nil || aws.ToString(info.Account) != testserver.Account {
		t.Fatalf("GetAccessKeyInfo: %+v %v", info, err)
	}
	_, err = locked.DecodeAuthorizationMessage(f.ctx, &stssdk.DecodeAuthorizationMessageInput{EncodedMessage: aws.String("x")})
	wantErr(t, "DecodeAuthorizationMessage with Deny *", err, "AccessDenied", "with an explicit deny in an identity-based policy")
}
