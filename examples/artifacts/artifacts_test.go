package artifacts_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	orgsdk "github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	stssdk "github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"

	"github.com/gatehouse-iam/gatehouse/examples/artifacts"
	"github.com/gatehouse-iam/gatehouse/gateway"
	"github.com/gatehouse-iam/gatehouse/internal/testserver"
	"github.com/gatehouse-iam/gatehouse/sigv4"
)

const (
	bucket = "my-app-artifacts"
	// buildHost is the "build network": the one source address the bucket
	// policy accepts uploads from (clients bind to it on loopback).
	buildHost = "127.0.0.9"
)

// The seed documents' identity policies: read your own prefix over TLS in
// eu-west-1, and the order service's read/write of orders/* over TLS.
const (
	seedOwnPrefix = `{"Version":"2012-10-17","Statement":[{"Sid":"AllowReadOwnBucketPrefix","Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],
	  "Resource":["arn:aws:s3:::my-app-artifacts","arn:aws:s3:::my-app-artifacts/${aws:username}/*"],
	  "Condition":{"Bool":{"aws:SecureTransport":"true"},"StringEquals":{"aws:RequestedRegion":"eu-west-1"}}}]}`
	seedOrders = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],
	  "Resource":"arn:aws:s3:::my-app-artifacts/orders/*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}]}`
	// The seed SCP's region guardrail.
	seedRegionSCP = `{"Version":"2012-10-17","Statement":[{"Sid":"DenyUnapprovedRegions","Effect":"Deny","NotAction":["iam:*","organizations:*","sts:*"],"Resource":"*",
	  "Condition":{"StringNotEquals":{"aws:RequestedRegion":["eu-west-1","us-east-1"]}}}]}`
)

// bucketPolicy grants the partner account's role read access to shared/*,
// denies plain HTTP (the seeds' defense in depth) and uploads from
// anywhere but the build network.
func bucketPolicy(partner string) string {
	return `{"Version":"2012-10-17","Statement":[
	  {"Sid":"PartnerRead","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + partner + `:role/partner-reader"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::my-app-artifacts/shared/*"},
	  {"Sid":"DenyInsecureTransport","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::my-app-artifacts","arn:aws:s3:::my-app-artifacts/*"],
	   "Condition":{"Bool":{"aws:SecureTransport":"false"}}},
	  {"Sid":"UploadsFromBuildNetworkOnly","Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::my-app-artifacts/*",
	   "Condition":{"NotIpAddress":{"aws:SourceIp":"` + buildHost + `/32"}}}]}`
}

// env is the example's world: Gatehouse, the artifacts service, the
// gateway in front of it over TLS and plain HTTP, and HTTP clients.
type env struct {
	t           *testing.T
	ts          *testserver.Server
	tlsURL      string
	plainURL    string
	tlsClient   *http.Client // from 127.0.0.1
	buildClient *http.Client // over TLS, from the build network address
	plainClient *http.Client
	gatewayCred sigv4.Credential // the gateway's own key, allowed gatehouse:Authorize and PutResourcePolicy
}

// caller is a signer: SDK credentials and the region it signs for.
type caller struct {
	creds  aws.Credentials
	region string
}

func keyCaller(k *iamsdk.CreateAccessKeyOutput, region string) caller {
	return caller{creds: aws.Credentials{AccessKeyID: *k.AccessKey.AccessKeyId, SecretAccessKey: *k.AccessKey.SecretAccessKey}, region: region}
}

func sessionCaller(c *ststypes.Credentials, region string) caller {
	return caller{creds: aws.Credentials{AccessKeyID: *c.AccessKeyId, SecretAccessKey: *c.SecretAccessKey, SessionToken: *c.SessionToken}, region: region}
}

// do sends a request signed by the AWS SDK for Go v2 signer as the custom
// service "artifacts" (in the header, or presigned).
func (e *env) do(c *http.Client, base string, who caller, method, path, body string, presign bool) (int, string) {
	e.t.Helper()
	req, err := http.NewRequest(method, base+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(body))
	signer := v4.NewSigner()
	if presign {
		q := req.URL.Query()
		q.Set("X-Amz-Expires", "300")
		req.URL.RawQuery = q.Encode()
		signed, _, err := signer.PresignHTTP(context.Background(), who.creds, req, hex.EncodeToString(sum[:]), "artifacts", who.region, time.Now())
		if err != nil {
			e.t.Fatal(err)
		}
		if req.URL, err = url.Parse(signed); err != nil {
			e.t.Fatal(err)
		}
	} else if err := signer.SignHTTP(context.Background(), who.creds, req, hex.EncodeToString(sum[:]), "artifacts", who.region, time.Now()); err != nil {
		e.t.Fatal(err)
	}
	resp, err := c.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw) + resp.Header.Get("X-Artifacts-Writer")
}

func newEnv(t *testing.T) *env {
	ts := testserver.Start(t)
	upstream := httptest.NewServer(&artifacts.Store{})
	t.Cleanup(upstream.Close)
	up, _ := url.Parse(upstream.URL)
	routes, err := artifacts.Routes()
	if err != nil {
		t.Fatal(err)
	}
	// The gateway's own identity, allowed to ask and to manage resource policies.
	c := ts.IAMClient()
	ctx := context.Background()
	if _, err := c.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("gateway")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutUserPolicy(ctx, &iamsdk.PutUserPolicyInput{UserName: aws.String("gateway"), PolicyName: aws.String("decide"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["gatehouse:Authorize","gatehouse:PutResourcePolicy"],"Resource":"*"}}`)}); err != nil {
		t.Fatal(err)
	}
	key, err := c.CreateAccessKey(ctx, &iamsdk.CreateAccessKeyInput{UserName: aws.String("gateway")})
	if err != nil {
		t.Fatal(err)
	}
	gw := sigv4.Credential{AccessKeyID: *key.AccessKey.AccessKeyId, SecretAccessKey: *key.AccessKey.SecretAccessKey}
	proxy := gateway.NewProxy(up, gateway.Config{Routes: routes, Decider: gateway.NewRemote(ts.URL, gw, "us-east-1")})
	tlsProxy := httptest.NewTLSServer(proxy)
	plainProxy := httptest.NewServer(proxy)
	t.Cleanup(tlsProxy.Close)
	t.Cleanup(plainProxy.Close)
	build := tlsProxy.Client().Transport.(*http.Transport).Clone()
	build.DialContext = (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(buildHost)}}).DialContext
	build.TLSClientConfig = tlsProxy.Client().Transport.(*http.Transport).TLSClientConfig.Clone()
	e := &env{t: t, ts: ts, tlsURL: tlsProxy.URL, plainURL: plainProxy.URL, tlsClient: tlsProxy.Client(),
		buildClient: &http.Client{Transport: build}, plainClient: plainProxy.Client(), gatewayCred: gw}
	return e
}

// putBucketPolicy stores the bucket policy through the decision API's
// resource-policies endpoint, owned by the management account.
func (e *env) putBucketPolicy(doc string) {
	e.t.Helper()
	body := `{"policy":` + doc + `}`
	req, _ := http.NewRequest("PUT", e.ts.URL+"/_gatehouse/v1/resource-policies?arn=arn:aws:s3:::"+bucket, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if err := sigv4.Sign(req, []byte(body), e.gatewayCred, "us-east-1", "gatehouse", time.Now()); err != nil {
		e.t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		raw, _ := io.ReadAll(resp.Body)
		e.t.Fatalf("put bucket policy: %d %s", resp.StatusCode, raw)
	}
}

func TestArtifactsBehindGateway(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	root := e.ts.IAMClient()

	// A second account in the organization, administered from the
	// management account, with a role the management account may assume.
	org := orgsdk.NewFromConfig(e.ts.RootConfig())
	must(org.CreateOrganization(ctx, &orgsdk.CreateOrganizationInput{FeatureSet: orgtypes.OrganizationFeatureSetAll}))
	roots, err := org.ListRoots(ctx, &orgsdk.ListRootsInput{})
	must(roots, err)
	must(org.EnablePolicyType(ctx, &orgsdk.EnablePolicyTypeInput{RootId: roots.Roots[0].Id, PolicyType: orgtypes.PolicyTypeServiceControlPolicy}))
	created, err := org.CreateAccount(ctx, &orgsdk.CreateAccountInput{AccountName: aws.String("partner"), Email: aws.String("partner@example.com")})
	must(created, err)
	partner := *created.CreateAccountStatus.AccountId
	rootSTS := stssdk.NewFromConfig(e.ts.RootConfig())
	admin, err := rootSTS.AssumeRole(ctx, &stssdk.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::" + partner + ":role/OrganizationAccountAccessRole"), RoleSessionName: aws.String("setup")})
	must(admin, err)
	adminCfg := e.ts.RootConfig()
	adminCfg.Credentials = credentials.NewStaticCredentialsProvider(*admin.Credentials.AccessKeyId, *admin.Credentials.SecretAccessKey, *admin.Credentials.SessionToken)
	inPartner := iamsdk.NewFromConfig(adminCfg)
	must(inPartner.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("partner-reader"), AssumeRolePolicyDocument: aws.String(
		`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + testserver.Account + `:root"},"Action":"sts:AssumeRole"}}`)}))
	must(inPartner.PutRolePolicy(ctx, &iamsdk.PutRolePolicyInput{RoleName: aws.String("partner-reader"), PolicyName: aws.String("artifacts"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::my-app-artifacts/*"}}`)}))
	session, err := rootSTS.AssumeRole(ctx, &stssdk.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::" + partner + ":role/partner-reader"), RoleSessionName: aws.String("ci")})
	must(session, err)

	e.putBucketPolicy(bucketPolicy(partner))

	// Users of the management account: a publisher, alice with the seed
	// documents' policies, and carol whose permissions boundary allows
	// reads only.
	newUser := func(name, doc, boundary string) *iamsdk.CreateAccessKeyOutput {
		in := &iamsdk.CreateUserInput{UserName: aws.String(name)}
		if boundary != "" {
			in.PermissionsBoundary = aws.String(boundary)
		}
		must(root.CreateUser(ctx, in))
		must(root.PutUserPolicy(ctx, &iamsdk.PutUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String("p"), PolicyDocument: aws.String(doc)}))
		k, err := root.CreateAccessKey(ctx, &iamsdk.CreateAccessKeyInput{UserName: aws.String(name)})
		must(k, err)
		return k
	}
	s3All := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":["arn:aws:s3:::my-app-artifacts","arn:aws:s3:::my-app-artifacts/*"]}}`
	readOnly, err := root.CreatePolicy(ctx, &iamsdk.CreatePolicyInput{PolicyName: aws.String("artifacts-read-boundary"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":"*"}}`)})
	must(readOnly, err)
	publisherKey := newUser("publisher", s3All, "")
	aliceKey := newUser("alice", seedOwnPrefix, "")
	must(root.PutUserPolicy(ctx, &iamsdk.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("orders"), PolicyDocument: aws.String(seedOrders)}))
	carolKey := newUser("carol", s3All, *readOnly.Policy.Arn)

	publisher := keyCaller(publisherKey, "eu-west-1")
	alice := keyCaller(aliceKey, "eu-west-1")
	aliceEast := keyCaller(aliceKey, "us-east-1")
	carol := keyCaller(carolKey, "eu-west-1")
	partnerRole := sessionCaller(session.Credentials, "eu-west-1")
	partnerSydney := sessionCaller(session.Credentials, "ap-southeast-2")
	publisherARN := "arn:aws:iam::123456789012:user/publisher"

	type step struct {
		name         string
		client       *http.Client
		who          caller
		method, path string
		body         string
		presign      bool
		status       int
		want         string
	}
	tls, build, plain := e.tlsClient, e.buildClient, e.plainClient
	objects := "/buckets/" + bucket + "/objects"
	run := func(steps []step) {
		t.Helper()
		for _, s := range steps {
			base := e.tlsURL
			if s.client == plain {
				base = e.plainURL
			}
			status, body := e.do(s.client, base, s.who, s.method, objects+s.path, s.body, s.presign)
			if status != s.status || !strings.Contains(body, s.want) {
				t.Errorf("%s: %d %s; want %d containing %q", s.name, status, body, s.status, s.want)
			}
		}
	}
	run([]step{
		// aws:SourceIp: uploads only from the build network.
		{"publisher uploads from the build network", build, publisher, "PUT", "/alice/notes.txt", "alice's notes", false, 200, ""},
		{"publisher uploads shared/readme", build, publisher, "PUT", "/shared/readme", "read me", false, 200, ""},
		{"upload from another address", tls, publisher, "PUT", "/shared/other", "x", false, 403,
			"is not authorized to perform: s3:PutObject on resource: arn:aws:s3:::my-app-artifacts/shared/other with an explicit deny in a resource-based policy"},
		// The seed identity policy: own prefix, TLS, eu-west-1.
		{"alice reads her prefix", tls, alice, "GET", "/alice/notes.txt", "", false, 200, "alice's notes" + publisherARN},
		{"alice reads her prefix, presigned", tls, alice, "GET", "/alice/notes.txt", "", true, 200, "alice's notes"},
		{"alice lists", tls, alice, "GET", "?prefix=alice/", "", false, 200, `{"keys":["alice/notes.txt"]}`},
		{"alice signs for us-east-1", tls, aliceEast, "GET", "/alice/notes.txt", "", false, 403,
			"User: arn:aws:iam::123456789012:user/alice is not authorized to perform: s3:GetObject on resource: arn:aws:s3:::my-app-artifacts/alice/notes.txt because no identity-based policy allows"},
		{"alice over plain HTTP", plain, alice, "GET", "/alice/notes.txt", "", false, 403, "with an explicit deny in a resource-based policy"},
		{"alice outside her prefix", tls, alice, "GET", "/shared/readme", "", false, 403, "AccessDenied"},
		{"alice writes orders from the build network", build, alice, "PUT", "/orders/1", "order", false, 200, ""},
		{"alice writes orders from elsewhere", tls, alice, "PUT", "/orders/2", "order", false, 403, "explicit deny in a resource-based policy"},
		// The permissions boundary caps carol's s3:*.
		{"carol reads", tls, carol, "GET", "/orders/1", "", false, 200, "order"},
		{"carol's boundary stops writes", build, carol, "PUT", "/orders/3", "x", false, 403, "because no permissions boundary allows the s3:PutObject action"},
		// Cross-account: both the role's policy and the bucket policy must allow.
		{"partner role reads shared/*", tls, partnerRole, "GET", "/shared/readme", "", false, 200, "read me"},
		{"partner role cannot write", build, partnerRole, "PUT", "/shared/upload", "x", false, 403, "no resource-based policy allows"},
		{"partner role outside shared/*", tls, partnerRole, "GET", "/alice/notes.txt", "", false, 403, "AccessDenied"},
		{"partner role from ap-southeast-2, no SCP yet", tls, partnerSydney, "GET", "/shared/readme", "", false, 200, "read me"},
	})
	// The seed SCP's region guardrail on the partner account.
	scp, err := org.CreatePolicy(ctx, &orgsdk.CreatePolicyInput{Name: aws.String("regions"), Description: aws.String("seed SCP"),
		Type: orgtypes.PolicyTypeServiceControlPolicy, Content: aws.String(seedRegionSCP)})
	must(scp, err)
	must(org.AttachPolicy(ctx, &orgsdk.AttachPolicyInput{PolicyId: scp.Policy.PolicySummary.Id, TargetId: aws.String(partner)}))
	run([]step{
		{"partner role from ap-southeast-2 under the SCP", tls, partnerSydney, "GET", "/shared/readme", "", false, 403,
			"with an explicit deny in a service control policy"},
		{"partner role from eu-west-1 under the SCP", tls, partnerRole, "GET", "/shared/readme", "", false, 200, "read me"},
		{"the management account is not bound by SCPs", tls, keyCaller(aliceKey, "eu-west-1"), "GET", "/alice/notes.txt", "", false, 200, "alice's notes"},
	})
}
