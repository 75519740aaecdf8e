package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/internal/testserver"
)

func TestParseFlags(t *testing.T) {
	tests := []struct {
		args    []string
		wantErr string
	}{
		{nil, ""},
		{[]string{"--op", "ListUsers", "--concurrency", "64", "--duration", "1s", "--warmup", "0s", "--setup", "20"}, ""},
		{[]string{"--op", "CreateUser"}, "--op"},
		{[]string{"--concurrency", "0"}, "--concurrency"},
		{[]string{"--duration", "0s"}, "--duration"},
		{[]string{"--warmup", "-1s"}, "--warmup"},
		{[]string{"--setup", "-1"}, "--setup"},
		{[]string{"--secret-key", ""}, "--secret-key"},
		{[]string{"extra"}, "unexpected argument"},
		{[]string{"--no-such-flag"}, "not defined"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			_, err := parseFlags(tt.args, io.Discard)
			if tt.wantErr == "" && err != nil {
				t.Fatalf("unexpected error %v", err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("error %v, want one mentioning %q", err, tt.wantErr)
			}
		})
	}
}

func TestRequestBodies(t *testing.T) {
	tests := []struct {
		op    string
		users int
		want  []string
	}{
		{opGetUser, 0, []string{"Action=GetUser&Version=2010-05-08"}},
		{opGetUser, 2, []string{"Action=GetUser&UserName=gatehouse-load-0000&Version=2010-05-08",
			"Action=GetUser&UserName=gatehouse-load-0001&Version=2010-05-08"}},
		{opListUsers, 5, []string{"Action=ListUsers&Version=2010-05-08"}},
	}
	for _, tt := range tests {
		got, err := requestBodies(tt.op, tt.users)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(tt.want) {
			t.Fatalf("%s/%d: %d bodies, want %d", tt.op, tt.users, len(got), len(tt.want))
		}
		for i := range got {
			if string(got[i]) != tt.want[i] {
				t.Errorf("%s/%d body %d = %s, want %s", tt.op, tt.users, i, got[i], tt.want[i])
			}
		}
	}
	if _, err := requestBodies("DeleteUser", 1); err == nil {
		t.Fatal("DeleteUser accepted")
	}
}

// TestRunAgainstGatehouse drives a real server on loopback: the setup
// creates users (twice: the second time they already exist), GetUser and
// ListUsers succeed, and a wrong secret shows up as 403 errors.
func TestRunAgainstGatehouse(t *testing.T) {
	srv := testserver.Start(t)
	base := []string{"--endpoint", srv.URL, "--access-key", testserver.RootKeyID, "--duration", "300ms", "--warmup", "50ms",
		"--concurrency", "4", "--json"}
	tests := []struct {
		name       string
		args       []string
		wantErrors string
	}{
		{"GetUser with setup", []string{"--secret-key", testserver.RootSecret, "--op", "GetUser", "--setup", "3"}, ""},
		{"setup again", []string{"--secret-key", testserver.RootSecret, "--op", "GetUser", "--setup", "3"}, ""},
		{"ListUsers", []string{"--secret-key", testserver.RootSecret, "--op", "ListUsers"}, ""},
		{"wrong secret", []string{"--secret-key", "wrong", "--op", "ListUsers"}, "403"},
		{"Authorize", []string{"--secret-key", testserver.RootSecret, "--op", "Authorize", "--setup", "3"}, ""},
		{"Authorize about the caller", []string{"--secret-key", testserver.RootSecret, "--op", "Authorize"}, ""},
		{"AuthorizeBatch", []string{"--secret-key", testserver.RootSecret, "--op", "AuthorizeBatch", "--setup", "3", "--batch", "50"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			if code := run(append(tt.args, base...), &out, &errOut); code != 0 {
				t.Fatalf("exit %d: %s", code, errOut.String())
			}
			var rep report
			if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
				t.Fatalf("%v: %s", err, out.String())
			}
			if rep.Requests == 0 || rep.PerSecond <= 0 || rep.P50 <= 0 || rep.P99 < rep.P50 || rep.Max < rep.P99 {
				t.Fatalf("implausible report %+v", rep)
			}
			if strings.HasPrefix(rep.Op, "Authorize") && (rep.Decisions == 0 || rep.DecisionsPerSecond < rep.PerSecond) {
				t.Fatalf("decisions in %+v", rep)
			}
			if tt.wantErrors == "" && len(rep.Errors) > 0 {
				t.Fatalf("errors %v: %s", rep.Errors, rep.ErrorSample)
			}
			if tt.wantErrors != "" && (rep.Errors[tt.wantErrors] != rep.Requests || !strings.Contains(rep.ErrorSample, "SignatureDoesNotMatch")) {
				t.Fatalf("errors %v (sample %q), want every request to fail with %s", rep.Errors, rep.ErrorSample, tt.wantErrors)
			}
		})
	}
	out, err := srv.IAMClient().ListUsers(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Users) != 3 {
		t.Fatalf("%d users after setup, want 3", len(out.Users))
	}
}

// TestAuthorizeBodies checks that the Authorize bodies ask what they mean
// to: the setup users may read their own prefix and may not write.
func TestAuthorizeBodies(t *testing.T) {
	srv := testserver.Start(t)
	ctx := context.Background()
	c, err := newClient(srv.URL, testserver.RootKeyID, testserver.RootSecret, "us-east-1", 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := setupUsers(ctx, c, 1); err != nil {
		t.Fatal(err)
	}
	if err := setupPolicies(ctx, c, 1); err != nil {
		t.Fatal(err)
	}
	caller, err := callerARN(ctx, c)
	if err != nil || caller != "arn:aws:iam::"+testserver.Account+":root" {
		t.Fatalf("caller %q, %v", caller, err)
	}
	principals := principalARNs(caller, 1)
	for _, tt := range []struct {
		batch int
		want  string
	}{
		{0, `"decision":"allow"`},
		{4, `"decision":"allow"`},
		{4, `"decision":"implicit_deny"`},
	} {
		body := authorizeBodies(principals, tt.batch)[0]
		status, out, err := c.exchange(ctx, c.decisionAPI(), body, true)
		if err != nil || status != 200 || !strings.Contains(string(out), tt.want) {
			t.Errorf("batch %d: %d %s %v; want %s", tt.batch, status, out, err, tt.want)
		}
		if tt.batch > 0 && strings.Count(string(out), `"decision"`) != tt.batch {
			t.Errorf("batch %d: %s", tt.batch, out)
		}
	}
}

func TestSetupFailure(t *testing.T) {
	srv := testserver.Start(t)
	var errOut bytes.Buffer
	args := []string{"--endpoint", srv.URL, "--access-key", testserver.RootKeyID, "--secret-key", "wrong", "--setup", "1", "--duration", "10ms"}
	if code := run(args, io.Discard, &errOut); code != 1 || !strings.Contains(errOut.String(), "CreateUser gatehouse-load-0000: HTTP 403") {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
}

func TestReportText(t *testing.T) {
	res := newResult()
	res.window = time.Second
	res.latency.Record(time.Millisecond)
	res.statuses[200] = 1
	res.statuses[500] = 2
	res.transport = 1
	res.sample = "HTTP 500: boom"
	var b bytes.Buffer
	newReport(options{op: opListUsers, endpoint: "http://x", concurrency: 1}, res, "1 2 3", "4 5 6").write(&b)
	for _, want := range []string{"ListUsers against http://x", "requests  1 (1/s)", "500: 2, transport: 1", "HTTP 500: boom", "1 2 3 before, 4 5 6 after"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, b.String())
		}
	}
}
