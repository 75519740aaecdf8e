package query

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	neturl "net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/gatehouse-iam/gatehouse/awserr"
	"github.com/gatehouse-iam/gatehouse/protocol"
	"github.com/gatehouse-iam/gatehouse/protocol/model"
)

// server decodes every request it gets with Decode, records it, and answers
// with whatever respond returns (a result, or an error for WriteError).
type server struct {
	svc     *model.Service
	got     *protocol.Request
	respond func(*protocol.Request) (any, error)
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	req, aerr := Decode(s.svc, r)
	if aerr != nil {
		WriteError(w, s.svc, aerr, "req-1")
		return
	}
	s.got = req
	var result any
	var err error
	if s.respond != nil {
		result, err = s.respond(req)
	}
	if err != nil {
		WriteError(w, s.svc, err, "req-1")
		return
	}
	WriteResponse(w, s.svc, req.Operation, result, "req-1")
}

func start(t *testing.T, service string) (*server, string) {
	t.Helper()
	s := &server{svc: model.MustLoad(service)}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return s, ts.URL
}

func iamClient(url string) *iam.Client {
	return iam.New(iam.Options{Region: "us-east-1", BaseEndpoint: aws.String(url),
		Credentials: aws.AnonymousCredentials{}, RetryMaxAttempts: 1})
}

func stsClient(url string) *sts.Client {
	return sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(url),
		Credentials: aws.AnonymousCredentials{}, RetryMaxAttempts: 1})
}

var ctx = context.Background()

func TestSDKCreateUserWithTags(t *testing.T) {
	s, url := start(t, "iam")
	created := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	s.respond = func(r *protocol.Request) (any, error) {
		return map[string]any{"User": map[string]any{
			"Path": r.Params.String("Path"), "UserName": r.Params.String("UserName"),
			"UserId": "AIDAEXAMPLEEXAMPLE123", "Arn": "arn:aws:iam::123456789012:user/alice",
			"CreateDate": created, "Tags": r.Params.List("Tags"),
		}}, nil
	}
	out, err := iamClient(url).CreateUser(ctx, &iam.CreateUserInput{
		UserName: aws.String("alice"), Path: aws.String("/eng/"),
		Tags: []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String("a b+c:é")}, {Key: aws.String("empty"), Value: aws.String("")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	p := s.got.Params
	if s.got.Operation.Name != "CreateUser" || p.String("UserName") != "alice" || p.String("Path") != "/eng/" {
		t.Errorf("decoded %v", p)
	}
	tags := p.Structs("Tags")
	if len(tags) != 2 || tags[0].String("Key") != "team" || tags[0].String("Value") != "a b+c:é" ||
		tags[1].String("Key") != "empty" || !tags[1].Has("Value") {
		t.Errorf("tags %v", tags)
	}
	u := out.User
	if aws.ToString(u.UserName) != "alice" || aws.ToString(u.Path) != "/eng/" || !u.CreateDate.Equal(created) ||
		len(u.Tags) != 2 || aws.ToString(u.Tags[0].Value) != "a b+c:é" {
		t.Errorf("client parsed %+v", u)
	}
}

func TestSDKSimulateCustomPolicyNestedLists(t *testing.T) {
	s, url := start(t, "iam")
	s.respond = func(*protocol.Request) (any, error) {
		return map[string]any{"EvaluationResults": []any{map[string]any{
			"EvalActionName": "s3:GetObject", "EvalDecision": "allowed",
			"EvalDecisionDetails": map[string]string{"IAM Policy": "allowed"},
		}}, "IsTruncated": false}, nil
	}
	out, err := iamClient(url).SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{
		PolicyInputList: []string{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`},
		ActionNames:     []string{"s3:GetObject", "s3:PutObject"},
		ContextEntries: []iamtypes.ContextEntry{
			{ContextKeyName: aws.String("aws:SourceIp"), ContextKeyType: iamtypes.ContextKeyTypeEnumIp,
				ContextKeyValues: []string{"10.0.0.1"}},
			{ContextKeyName: aws.String("aws:PrincipalTag/x"), ContextKeyType: iamtypes.ContextKeyTypeEnumStringList,
				ContextKeyValues: []string{"a", "b", "c"}},
		},
		MaxItems: aws.Int32(10),
	})
	if err != nil {
		t.Fatal(err)
	}
	p := s.got.Params
	ce := p.Structs("ContextEntries")
	if len(ce) != 2 || ce[1].String("ContextKeyType") != "stringList" {
		t.Fatalf("context entries %v", ce)
	}
	if v := ce[1].Strings("ContextKeyValues"); len(v) != 3 || v[0] != "a" || v[2] != "c" {
		t.Errorf("nested values %v", v)
	}
	if n, _ := p.Int("MaxItems"); n != 10 || len(p.Strings("ActionNames")) != 2 {
		t.Errorf("params %v", p)
	}
	if len(out.EvaluationResults) != 1 || out.EvaluationResults[0].EvalDecision != iamtypes.PolicyEvaluationDecisionTypeAllowed ||
		out.EvaluationResults[0].EvalDecisionDetails["IAM Policy"] != "allowed" {
		t.Errorf("client parsed %+v", out.EvaluationResults)
	}
}

func TestSDKCreatePolicyDocument(t *testing.T) {
	s, url := start(t, "iam")
	doc := "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"s3:*\", \"Resource\": \"arn:aws:s3:::b/é+%?&=\"}]\n}"
	if _, err := iamClient(url).CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("p"), PolicyDocument: aws.String(doc)}); err != nil {
		t.Fatal(err)
	}
	if got := s.got.Params.String("PolicyDocument"); got != doc {
		t.Errorf("document %q", got)
	}
}

// IAM sends policy documents percent-encoded; clients decode them.
func TestSDKPolicyDocumentIsURLEncoded(t *testing.T) {
	s, url := start(t, "iam")
	doc := `{"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::a+b/é"}]}`
	s.respond = func(*protocol.Request) (any, error) {
		return map[string]any{"Role": map[string]any{"Path": "/", "RoleName": "r", "RoleId": "AROAEXAMPLE", "Arn": "arn:aws:iam::123456789012:role/r",
			"CreateDate": time.Unix(0, 0), "AssumeRolePolicyDocument": doc}}, nil
	}
	out, err := iamClient(url).GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("r")})
	if err != nil {
		t.Fatal(err)
	}
	enc := aws.ToString(out.Role.AssumeRolePolicyDocument)
	if strings.ContainsAny(enc, " {+") {
		t.Errorf("not percent-encoded: %s", enc)
	}
	if dec, err := neturl.QueryUnescape(enc); err != nil || dec != doc {
		t.Errorf("decoded %q, %v", dec, err)
	}
}

func TestSDKTagUserEmptyList(t *testing.T) {
	s, url := start(t, "iam")
	if _, err := iamClient(url).TagUser(ctx, &iam.TagUserInput{UserName: aws.String("bob"), Tags: []iamtypes.Tag{}}); err != nil {
		t.Fatal(err)
	}
	tags, ok := s.got.Params["Tags"].([]any)
	if !ok || len(tags) != 0 {
		t.Errorf("Tags = %#v, want an empty list", s.got.Params["Tags"])
	}
}

func TestSDKListUsersPagination(t *testing.T) {
	s, url := start(t, "iam")
	s.respond = func(r *protocol.Request) (any, error) {
		if r.Params.String("Marker") == "" {
			return map[string]any{"Users": []any{user("u1")}, "IsTruncated": true, "Marker": "m1"}, nil
		}
		return map[string]any{"Users": []any{user("u2")}, "IsTruncated": false}, nil
	}
	var names []string
	pg := iam.NewListUsersPaginator(iamClient(url), &iam.ListUsersInput{MaxItems: aws.Int32(1)})
	for pg.HasMorePages() {
		out, err := pg.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range out.Users {
			names = append(names, aws.ToString(u.UserName))
		}
	}
	if len(names) != 2 || names[0] != "u1" || names[1] != "u2" {
		t.Errorf("pages %v", names)
	}
}

// userResult is a struct-shaped result: the encoder reads fields by name.
type userResult struct {
	Path, UserName, UserId, Arn string
	CreateDate                  time.Time
	PasswordLastUsed            *time.Time
}

func user(name string) userResult {
	return userResult{Path: "/", UserName: name, UserId: "AIDA" + name, Arn: "arn:aws:iam::123456789012:user/" + name,
		CreateDate: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func TestSDKNoOutputAndErrors(t *testing.T) {
	s, url := start(t, "iam")
	c := iamClient(url)
	if _, err := c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("alice")}); err != nil {
		t.Fatal(err)
	}
	s.respond = func(*protocol.Request) (any, error) {
		return nil, awserr.New("NoSuchEntity", "The user with name carol cannot be found.")
	}
	_, err := c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("carol")})
	var nse *iamtypes.NoSuchEntityException
	if !errors.As(err, &nse) || nse.ErrorMessage() != "The user with name carol cannot be found." {
		t.Errorf("error %v", err)
	}
	var re *awshttp.ResponseError
	if !errors.As(err, &re) || re.HTTPStatusCode() != 404 || re.ServiceRequestID() != "req-1" {
		t.Errorf("response error %v", err)
	}
	s.respond = func(*protocol.Request) (any, error) { return nil, errors.New("disk on fire") }
	_, err = c.GetUser(ctx, &iam.GetUserInput{})
	var api smithy.APIError
	if !errors.As(err, &api) || api.ErrorCode() != "ServiceFailure" || api.ErrorFault() != smithy.FaultServer {
		t.Errorf("server fault %v", err)
	}
	// Validation failures come back as ValidationError with AWS's wording.
	_, err = c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("a:b")})
	if !errors.As(err, &api) || api.ErrorCode() != "ValidationError" || api.ErrorMessage() !=
		`1 validation error detected: Value 'a:b' at 'userName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]+` {
		t.Errorf("validation %v", err)
	}
}

func TestSDKCreateAccessKeyAndSTS(t *testing.T) {
	s, url := start(t, "iam")
	s.respond = func(*protocol.Request) (any, error) {
		return map[string]any{"AccessKey": map[string]any{"UserName": "alice", "AccessKeyId": "AKIAEXAMPLE",
			"Status": "Active", "SecretAccessKey": "secret/+=", "CreateDate": time.Unix(1700000000, 0)}}, nil
	}
	out, err := iamClient(url).CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("alice")})
	if err != nil {
		t.Fatal(err)
	}
	if k := out.AccessKey; aws.ToString(k.SecretAccessKey) != "secret/+=" || k.Status != iamtypes.StatusTypeActive {
		t.Errorf("access key %+v", k)
	}

	ss, surl := start(t, "sts")
	exp := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	ss.respond = func(r *protocol.Request) (any, error) {
		return map[string]any{
			"Credentials": map[string]any{"AccessKeyId": "ASIAEXAMPLE", "SecretAccessKey": "s", "SessionToken": "t", "Expiration": exp},
			"AssumedRoleUser": map[string]any{"AssumedRoleId": "AROAEXAMPLE:" + r.Params.String("RoleSessionName"),
				"Arn": "arn:aws:sts::123456789012:assumed-role/r/" + r.Params.String("RoleSessionName")},
			"PackedPolicySize": int64(6),
		}, nil
	}
	aout, err := stsClient(surl).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::123456789012:role/r"),
		RoleSessionName: aws.String("sess"), DurationSeconds: aws.Int32(900)})
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := ss.got.Params.Int("DurationSeconds"); d != 900 {
		t.Errorf("DurationSeconds %d", d)
	}
	if !aout.Credentials.Expiration.Equal(exp) || aws.ToString(aout.AssumedRoleUser.AssumedRoleId) != "AROAEXAMPLE:sess" ||
		aws.ToInt32(aout.PackedPolicySize) != 6 {
		t.Errorf("client parsed %+v %+v", aout.Credentials, aout.AssumedRoleUser)
	}
}
