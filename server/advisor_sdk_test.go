package server_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ctsdk "github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	stssdk "github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/gatehouse-iam/gatehouse/audit"
	"github.com/gatehouse-iam/gatehouse/internal/cputime"
	"github.com/gatehouse-iam/gatehouse/internal/testserver"
)

// advisorSetup creates alice (a user with a key, in group "devs") and role
// "app", and has alice call IAM and STS and the role's session call IAM.
func advisorSetup(t *testing.T, ts *testserver.Server) (aliceKey string, aliceARN, roleARN, policyARN string) {
	ctx := context.Background()
	root := ts.IAMClient()
	must(root.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("alice")}))
	must(root.CreateGroup(ctx, &iamsdk.CreateGroupInput{GroupName: aws.String("devs")}))
	must(root.AddUserToGroup(ctx, &iamsdk.AddUserToGroupInput{GroupName: aws.String("devs"), UserName: aws.String("alice")}))
	pol := must(root.CreatePolicy(ctx, &iamsdk.CreatePolicyInput{PolicyName: aws.String("devs"), PolicyDocument: aws.String(
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:GetUser","iam:ListUsers","sts:GetCallerIdentity","sts:AssumeRole","s3:GetObject"],"Resource":"*"}]}`)}))
	must(root.AttachGroupPolicy(ctx, &iamsdk.AttachGroupPolicyInput{GroupName: aws.String("devs"), PolicyArn: pol.Policy.Arn}))
	key := must(root.CreateAccessKey(ctx, &iamsdk.CreateAccessKeyInput{UserName: aws.String("alice")}))
	role := must(root.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("app"), AssumeRolePolicyDocument: aws.String(
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}`)}))
	must(root.PutRolePolicy(ctx, &iamsdk.PutRolePolicyInput{RoleName: aws.String("app"), PolicyName: aws.String("p"), PolicyDocument: aws.String(
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:List*","dynamodb:GetItem"],"Resource":"*"}]}`)}))

	cfg := ts.Config(*key.AccessKey.AccessKeyId, *key.AccessKey.SecretAccessKey)
	alice := iamsdk.NewFromConfig(cfg)
	must(alice.GetUser(ctx, &iamsdk.GetUserInput{}))
	if _, err := alice.ListRoles(ctx, &iamsdk.ListRolesInput{}); apiCode(err) != "AccessDenied" {
		t.Fatalf("alice ListRoles: %v", err)
	}
	aliceSTS := stssdk.NewFromConfig(cfg)
	sess := must(aliceSTS.AssumeRole(ctx, &stssdk.AssumeRoleInput{RoleArn: role.Role.Arn, RoleSessionName: aws.String("s1")}))
	must(iamsdk.NewFromConfig(sessionConfig(ts, sess.Credentials)).ListUsers(ctx, &iamsdk.ListUsersInput{}))
	must(aliceSTS.GetCallerIdentity(ctx, &stssdk.GetCallerIdentityInput{}))
	return *key.AccessKey.AccessKeyId, "arn:aws:iam::123456789012:user/alice", *role.Role.Arn, *pol.Policy.Arn
}

func TestLastUsedFromActivity(t *testing.T) {
	ts := testserver.Start(t)
	ctx := context.Background()
	start := time.Now().Add(-time.Second)
	keyID, _, _, _ := advisorSetup(t, ts)
	root := ts.IAMClient()

	lu := must(root.GetAccessKeyLastUsed(ctx, &iamsdk.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(keyID)}))
	if lu.AccessKeyLastUsed.LastUsedDate == nil || lu.AccessKeyLastUsed.LastUsedDate.Before(start) ||
		*lu.AccessKeyLastUsed.ServiceName != "sts" || *lu.AccessKeyLastUsed.Region != "us-east-1" || *lu.UserName != "alice" {
		t.Fatalf("GetAccessKeyLastUsed: %+v", lu.AccessKeyLastUsed)
	}
	role := must(root.GetRole(ctx, &iamsdk.GetRoleInput{RoleName: aws.String("app")}))
	if rl := role.Role.RoleLastUsed; rl == nil || rl.LastUsedDate == nil || rl.LastUsedDate.Before(start) || *rl.Region != "us-east-1" {
		t.Fatalf("RoleLastUsed: %+v", role.Role.RoleLastUsed)
	}
	// A role nobody assumed has an empty RoleLastUsed.
	mustRole(t, root, "idle")
	if idle := must(root.GetRole(ctx, &iamsdk.GetRoleInput{RoleName: aws.String("idle")})); idle.Role.RoleLastUsed.LastUsedDate != nil {
		t.Fatalf("idle role: %+v", idle.Role.RoleLastUsed)
	}
	// Console sign-in does not exist: PasswordLastUsed stays absent.
	if u := must(root.GetUser(ctx, &iamsdk.GetUserInput{UserName: aws.String("alice")})); u.User.PasswordLastUsed != nil {
		t.Fatalf("PasswordLastUsed: %v", u.User.PasswordLastUsed)
	}
}

// services maps a report's services by namespace.
func services(out *iamsdk.GetServiceLastAccessedDetailsOutput) map[string]iamtypes.ServiceLastAccessed {
	m := map[string]iamtypes.ServiceLastAccessed{}
	for _, s := range out.ServicesLastAccessed {
		m[*s.ServiceNamespace] = s
	}
	return m
}

func TestServiceLastAccessedDetails(t *testing.T) {
	ts := testserver.Start(t)
	ctx := context.Background()
	_, aliceARN, roleARN, policyARN := advisorSetup(t, ts)
	root := ts.IAMClient()
	report := func(arn string, g iamtypes.AccessAdvisorUsageGranularityType) (string, *iamsdk.GetServiceLastAccessedDetailsOutput) {
		job := must(root.GenerateServiceLastAccessedDetails(ctx, &iamsdk.GenerateServiceLastAccessedDetailsInput{Arn: aws.String(arn), Granularity: g}))
		out := must(root.GetServiceLastAccessedDetails(ctx, &iamsdk.GetServiceLastAccessedDetailsInput{JobId: job.JobId}))
		if out.JobStatus != iamtypes.JobStatusTypeCompleted || out.JobCreationDate == nil || out.JobCompletionDate == nil {
			t.Fatalf("job of %s: %+v", arn, out)
		}
		return *job.JobId, out
	}

	// alice: services of her group's policy; iam and sts used by her, s3 not.
	job, out := report(aliceARN, iamtypes.AccessAdvisorUsageGranularityTypeActionLevel)
	svcs := services(out)
	if len(svcs) != 3 || out.JobType != iamtypes.AccessAdvisorUsageGranularityTypeActionLevel {
		t.Fatalf("alice's services: %+v", out.ServicesLastAccessed)
	}
	iamSvc, s3 := svcs["iam"], svcs["s3"]
	if *iamSvc.ServiceName != "AWS Identity and Access Management (IAM)" && !strings.Contains(*iamSvc.ServiceName, "Identity and Access Management") {
		t.Errorf("iam ServiceName %q", *iamSvc.ServiceName)
	}
	if iamSvc.LastAuthenticated == nil || *iamSvc.LastAuthenticatedEntity != aliceARN || *iamSvc.LastAuthenticatedRegion != "us-east-1" ||
		*iamSvc.TotalAuthenticatedEntities != 1 {
		t.Errorf("iam last accessed: %+v", iamSvc)
	}
	if s3.LastAuthenticated != nil || *s3.TotalAuthenticatedEntities != 0 || s3.TrackedActionsLastAccessed != nil {
		t.Errorf("s3 never used: %+v", s3)
	}
	tracked := map[string]iamtypes.TrackedActionLastAccessed{}
	for _, a := range iamSvc.TrackedActionsLastAccessed {
		tracked[*a.ActionName] = a
	}
	// ListRoles was denied: not allowed by the policy, so not tracked.
	if len(tracked) != 2 || tracked["GetUser"].LastAccessedTime == nil || *tracked["GetUser"].LastAccessedEntity != aliceARN ||
		tracked["ListUsers"].LastAccessedTime != nil {
		t.Errorf("iam tracked actions: %+v", iamSvc.TrackedActionsLastAccessed)
	}
	ents := must(root.GetServiceLastAccessedDetailsWithEntities(ctx, &iamsdk.GetServiceLastAccessedDetailsWithEntitiesInput{
		JobId: aws.String(job), ServiceNamespace: aws.String("sts")}))
	if len(ents.EntityDetailsList) != 1 || *ents.EntityDetailsList[0].EntityInfo.Arn != aliceARN ||
		ents.EntityDetailsList[0].EntityInfo.Type != iamtypes.PolicyOwnerEntityTypeUser || ents.EntityDetailsList[0].LastAuthenticated == nil {
		t.Errorf("sts entities: %+v", ents.EntityDetailsList)
	}

	// The role: its session's ListUsers counts; dynamodb unused.
	_, out = report(roleARN, "")
	svcs = services(out)
	if out.JobType != iamtypes.AccessAdvisorUsageGranularityTypeServiceLevel || len(svcs) != 2 ||
		svcs["iam"].LastAuthenticated == nil || *svcs["iam"].LastAuthenticatedEntity != roleARN || svcs["iam"].TrackedActionsLastAccessed != nil ||
		svcs["dynamodb"].LastAuthenticated != nil {
		t.Errorf("role report: %+v", out.ServicesLastAccessed)
	}

	// The managed policy: attached to the group, whose member alice used it.
	job, out = report(policyARN, "")
	if svcs = services(out); svcs["sts"].LastAuthenticated == nil || *svcs["sts"].LastAuthenticatedEntity != aliceARN {
		t.Errorf("policy report: %+v", out.ServicesLastAccessed)
	}
	ents = must(root.GetServiceLastAccessedDetailsWithEntities(ctx, &iamsdk.GetServiceLastAccessedDetailsWithEntitiesInput{
		JobId: aws.String(job), ServiceNamespace: aws.String("iam")}))
	if len(ents.EntityDetailsList) != 1 || ents.EntityDetailsList[0].EntityInfo.Type != iamtypes.PolicyOwnerEntityTypeGroup ||
		*ents.EntityDetailsList[0].EntityInfo.Name != "devs" || ents.EntityDetailsList[0].LastAuthenticated == nil {
		t.Errorf("policy entities: %+v", ents.EntityDetailsList)
	}

	// Paging and errors.
	page := must(root.GetServiceLastAccessedDetails(ctx, &iamsdk.GetServiceLastAccessedDetailsInput{JobId: aws.String(job), MaxItems: aws.Int32(2)}))
	if len(page.ServicesLastAccessed) != 2 || !page.IsTruncated || page.Marker == nil {
		t.Errorf("first page: %+v", page)
	}
	wantCode(t, "unknown job", must2(root.GetServiceLastAccessedDetails(ctx, &iamsdk.GetServiceLastAccessedDetailsInput{
		JobId: aws.String("11111111-2222-3333-4444-555555555555")})), "NoSuchEntity", "")
	wantCode(t, "unknown user", must2(root.GenerateServiceLastAccessedDetails(ctx, &iamsdk.GenerateServiceLastAccessedDetailsInput{
		Arn: aws.String("arn:aws:iam::123456789012:user/nobody")})), "NoSuchEntity", "")
	wantCode(t, "service not in the report", must2(root.GetServiceLastAccessedDetailsWithEntities(ctx, &iamsdk.GetServiceLastAccessedDetailsWithEntitiesInput{
		JobId: aws.String(job), ServiceNamespace: aws.String("ec2")})), "InvalidInput", "")
}

func TestCredentialReport(t *testing.T) {
	ts := testserver.Start(t)
	ctx := context.Background()
	keyID, _, _, _ := advisorSetup(t, ts)
	root := ts.IAMClient()
	must(root.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("bob")}))
	must(root.CreateLoginProfile(ctx, &iamsdk.CreateLoginProfileInput{UserName: aws.String("bob"), Password: aws.String("Correct-Horse-9-battery")}))

	wantCode(t, "report before generation", must2(root.GetCredentialReport(ctx, &iamsdk.GetCredentialReportInput{})), "ReportNotPresent", "")
	if g := must(root.GenerateCredentialReport(ctx, &iamsdk.GenerateCredentialReportInput{})); g.State != iamtypes.ReportStateTypeStarted {
		t.Fatalf("first generation: %+v", g)
	}
	if g := must(root.GenerateCredentialReport(ctx, &iamsdk.GenerateCredentialReportInput{})); g.State != iamtypes.ReportStateTypeComplete {
		t.Fatalf("second generation: %+v", g)
	}
	rep := must(root.GetCredentialReport(ctx, &iamsdk.GetCredentialReportInput{}))
	if rep.ReportFormat != iamtypes.ReportFormatTypeTextCsv || rep.GeneratedTime == nil {
		t.Fatalf("report: %+v", rep)
	}
	rows, err := csv.NewReader(strings.NewReader(string(rep.Content))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	header := "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active," +
		"access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service," +
		"access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service," +
		"cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated"
	if strings.Join(rows[0], ",") != header || len(rows) != 4 {
		t.Fatalf("report rows: %v", rows)
	}
	row := func(i int) map[string]string {
		m := map[string]string{}
		for j, col := range rows[0] {
			m[col] = rows[i][j]
		}
		return m
	}
	cases := []struct {
		row  int
		want map[string]string
	}{
		{1, map[string]string{"user": "<root_account>", "arn": "arn:aws:iam::123456789012:root", "password_enabled": "not_supported",
			"password_last_changed": "not_supported", "password_next_rotation": "not_supported", "mfa_active": "false",
			"access_key_1_active": "true", "access_key_1_last_used_service": "iam", "access_key_1_last_used_region": "us-east-1",
			"access_key_2_active": "false", "access_key_2_last_rotated": "N/A", "cert_1_active": "false", "cert_1_last_rotated": "N/A"}},
		{2, map[string]string{"user": "alice", "arn": "arn:aws:iam::123456789012:user/alice", "password_enabled": "false",
			"password_last_used": "N/A", "password_last_changed": "N/A", "password_next_rotation": "N/A", "mfa_active": "false",
			"access_key_1_active": "true", "access_key_1_last_used_service": "sts", "access_key_1_last_used_region": "us-east-1",
			"access_key_2_active": "false", "access_key_2_last_used_date": "N/A"}},
		{3, map[string]string{"user": "bob", "password_enabled": "true", "password_last_used": "no_information",
			"password_next_rotation": "N/A", "access_key_1_active": "false", "access_key_1_last_rotated": "N/A",
			"access_key_1_last_used_date": "N/A"}},
	}
	for _, tc := range cases {
		got := row(tc.row)
		for k, v := range tc.want {
			if got[k] != v {
				t.Errorf("row %d (%s) %s = %q, want %q", tc.row, got["user"], k, got[k], v)
			}
		}
	}
	for _, col := range []string{"user_creation_time", "access_key_1_last_rotated", "access_key_1_last_used_date"} {
		if _, err := time.Parse("2006-01-02T15:04:05+00:00", row(2)[col]); err != nil {
			t.Errorf("alice %s: %v", col, err)
		}
	}
	if _, err := time.Parse("2006-01-02T15:04:05+00:00", row(3)["password_last_changed"]); err != nil {
		t.Errorf("bob password_last_changed: %v", err)
	}
	_ = keyID
}

// TestAuditRedactsSecrets checks the records of calls that carry secrets:
// passwords, session credentials and web identity tokens.
func TestAuditRedactsSecrets(t *testing.T) {
	ts := testserver.Start(t)
	ctx := context.Background()
	advisorSetup(t, ts)
	root := ts.IAMClient()
	must(root.CreateLoginProfile(ctx, &iamsdk.CreateLoginProfileInput{UserName: aws.String("alice"), Password: aws.String("Correct-Horse-9-battery")}))
	anon := stssdk.NewFromConfig(aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(ts.URL), RetryMaxAttempts: 1})
	_, err := anon.AssumeRoleWithWebIdentity(ctx, &stssdk.AssumeRoleWithWebIdentityInput{RoleArn: aws.String("arn:aws:iam::123456789012:role/app"),
		RoleSessionName: aws.String("web1"), WebIdentityToken: aws.String("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln")})
	if err == nil {
		t.Fatal("a junk web identity token was accepted")
	}
	var events []map[string]any
	var token *string
	for {
		out := must(ctsdk.NewFromConfig(ts.RootConfig()).LookupEvents(ctx, &ctsdk.LookupEventsInput{NextToken: token}))
		for _, e := range out.Events {
			var rec map[string]any
			if err := json.Unmarshal([]byte(*e.CloudTrailEvent), &rec); err != nil {
				t.Fatal(err)
			}
			events = append(events, rec)
		}
		if token = out.NextToken; token == nil {
			break
		}
	}
	find := func(name string) map[string]any {
		for _, e := range events {
			if e["eventName"] == name {
				return e
			}
		}
		t.Fatalf("no %s record", name)
		return nil
	}
	const hidden = "HIDDEN_DUE_TO_SECURITY_REASONS"
	if p := find("CreateLoginProfile")["requestParameters"].(map[string]any); p["password"] != hidden || p["userName"] != "alice" {
		t.Errorf("CreateLoginProfile parameters: %v", p)
	}
	ar := find("AssumeRole")
	creds := ar["responseElements"].(map[string]any)["credentials"].(map[string]any)
	if creds["sessionToken"] != hidden || creds["secretAccessKey"] != hidden || !strings.HasPrefix(creds["accessKeyId"].(string), "ASIA") {
		t.Errorf("AssumeRole credentials: %v", creds)
	}
	if p := ar["requestParameters"].(map[string]any); p["roleArn"] != "arn:aws:iam::123456789012:role/app" || p["roleSessionName"] != "s1" {
		t.Errorf("AssumeRole parameters: %v", p)
	}
	// The session's own calls name the role as issuer.
	for _, e := range events {
		if e["eventName"] != "ListUsers" {
			continue
		}
		ui := e["userIdentity"].(map[string]any)
		sc := ui["sessionContext"].(map[string]any)
		if ui["type"] != "AssumedRole" || sc["sessionIssuer"].(map[string]any)["arn"] != "arn:aws:iam::123456789012:role/app" ||
			!strings.HasPrefix(ui["accessKeyId"].(string), "ASIA") {
			t.Errorf("session identity: %v", ui)
		}
	}
	// A refused federation is filed under the role's account, as CloudTrail does.
	fed, err := audit.Events(ctx, ts.AuditStore, audit.Query{Account: testserver.Account,
		Match: func(e *audit.Event) bool { return e.EventName == "AssumeRoleWithWebIdentity" }})
	if err != nil || len(fed) != 1 {
		t.Fatalf("AssumeRoleWithWebIdentity records: %d %v", len(fed), err)
	}
	if ev := fed[0]; ev.RequestParameters["webIdentityToken"] != hidden || ev.ErrorCode != "InvalidIdentityToken" ||
		ev.EventSource != "sts.amazonaws.com" || ev.UserIdentity.Type != "Unknown" {
		t.Errorf("AssumeRoleWithWebIdentity record: %+v", ev)
	}
	for _, e := range fed {
		raw, _ := json.Marshal(e)
		events = append(events, map[string]any{"eventName": e.EventName, "raw": string(raw)})
	}
	for _, e := range events {
		raw, _ := json.Marshal(e)
		if strings.Contains(string(raw), "Correct-Horse") || strings.Contains(string(raw), "eyJhbGciOiJSUzI1NiJ9") {
			t.Errorf("a secret leaked into %s: %s", e["eventName"], raw)
		}
	}
}

// BenchmarkAuditCost measures what the audit trail costs a signed GetUser,
// in process with 32 requests in flight: the same server with and without
// the recorder, processor time per request included (cpu-ns/op, the whole
// process: the audit writer too). The difference is the cost of a record.
func BenchmarkAuditCost(b *testing.B) {
	for _, mode := range []struct {
		name string
		opts testserver.Options
	}{{"audit", testserver.Options{}}, {"no-audit", testserver.Options{NoAudit: true}}} {
		b.Run(mode.name, func(b *testing.B) {
			srv := testserver.StartWith(b, mode.opts).Handler()
			w := httptest.NewRecorder()
			srv.ServeHTTP(w, signedRequest(b, "Action=CreateUser&Version=2010-05-08&UserName=alice"))
			if w.Code != http.StatusOK {
				b.Fatalf("CreateUser: %d %s", w.Code, w.Body)
			}
			const body = "Action=GetUser&Version=2010-05-08&UserName=alice"
			signed := signedRequest(b, body)
			b.ReportAllocs()
			before := cputime.Used(b)
			b.SetParallelism(16) // 32 in flight on 2 cores
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					r := signed.Clone(signed.Context())
					r.Body = io.NopCloser(strings.NewReader(body))
					w := httptest.NewRecorder()
					srv.ServeHTTP(w, r)
					if w.Code != http.StatusOK {
						b.Errorf("GetUser: %d %s", w.Code, w.Body)
						return
					}
				}
			})
			b.ReportMetric(float64(cputime.Used(b)-before)/float64(b.N), "cpu-ns/op")
		})
	}
}
