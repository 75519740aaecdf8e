package sigv4

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/gatehouse-iam/gatehouse/awserr"
)

// recordingServer verifies every request with the real clock and answers
// IAM/STS query-protocol calls with canned bodies, remembering each
// verification result.
type recordingServer struct {
	*httptest.Server
	mu      sync.Mutex
	results []Result
	errs    []error
}

func newRecordingServer(t *testing.T) *recordingServer {
	v := testVerifier()
	v.Now = nil
	rs := &recordingServer{}
	rs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		res, err := v.Verify(r, body)
		rs.mu.Lock()
		rs.results = append(rs.results, res)
		rs.errs = append(rs.errs, err)
		rs.mu.Unlock()
		w.Header().Set("Content-Type", "text/xml")
		if e := awserr.As(err); e != nil {
			w.WriteHeader(e.Status)
			fmt.Fprintf(w, `<ErrorResponse><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>r-1</RequestId></ErrorResponse>`,
				e.Code, e.Message)
			return
		}
		form, _ := url.ParseQuery(string(body))
		if form.Get("Action") == "" {
			form = r.URL.Query() // presigned: the parameters are in the query string
		}
		switch form.Get("Action") {
		case "GetCallerIdentity":
			fmt.Fprint(w, `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>`+
				`<Arn>arn:aws:iam::123456789012:user/alice</Arn><UserId>AIDAEXAMPLE</UserId><Account>123456789012</Account>`+
				`</GetCallerIdentityResult><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></GetCallerIdentityResponse>`)
		case "ListUsers":
			fmt.Fprint(w, `<ListUsersResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><ListUsersResult><Users/>`+
				`<IsTruncated>false</IsTruncated></ListUsersResult><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></ListUsersResponse>`)
		default:
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>unexpected</Message></Error></ErrorResponse>`)
		}
	}))
	t.Cleanup(rs.Close)
	return rs
}

// last returns the most recent verification.
func (rs *recordingServer) last(t *testing.T) (Result, error) {
	t.Helper()
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if len(rs.results) == 0 {
		t.Fatal("server saw no request")
	}
	return rs.results[len(rs.results)-1], rs.errs[len(rs.errs)-1]
}

func (rs *recordingServer) config(region, key, secret, token string) aws.Config {
	return aws.Config{
		Region:       region,
		Credentials:  credentials.NewStaticCredentialsProvider(key, secret, token),
		BaseEndpoint: aws.String(rs.URL),
		HTTPClient:   rs.Client(),
	}
}

func TestEndToEndSDKClients(t *testing.T) {
	rs := newRecordingServer(t)
	ctx := context.Background()

	t.Run("sts GetCallerIdentity", func(t *testing.T) {
		out, err := sts.NewFromConfig(rs.config("eu-north-1", testKey, testSecret, "")).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(out.Account) != "123456789012" {
			t.Errorf("Account = %q", aws.ToString(out.Account))
		}
		res, verr := rs.last(t)
		if verr != nil || res.Service != "sts" || res.Region != "eu-north-1" || res.AccessKeyID != testKey || res.Presigned {
			t.Errorf("server saw %+v, %v", res, verr)
		}
	})

	t.Run("sts GetCallerIdentity with session credentials", func(t *testing.T) {
		_, err := sts.NewFromConfig(rs.config("us-east-1", tempKey, tempSecret, tempToken)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			t.Fatal(err)
		}
		res, verr := rs.last(t)
		if verr != nil || res.AccessKeyID != tempKey || res.SessionToken != tempToken {
			t.Errorf("server saw %+v, %v", res, verr)
		}
	})

	t.Run("iam ListUsers", func(t *testing.T) {
		_, err := iam.NewFromConfig(rs.config("us-east-1", testKey, testSecret, "")).ListUsers(ctx, &iam.ListUsersInput{PathPrefix: aws.String("/division abc/")})
		if err != nil {
			t.Fatal(err)
		}
		res, verr := rs.last(t)
		if verr != nil || res.Service != "iam" || res.Region != "us-east-1" {
			t.Errorf("server saw %+v, %v", res, verr)
		}
	})

	t.Run("sts presigned GetCallerIdentity", func(t *testing.T) {
		client := sts.NewFromConfig(rs.config("eu-west-1", testKey, testSecret, ""))
		pr, err := sts.NewPresignClient(client).PresignGetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			t.Fatal(err)
		}
		req, err := http.NewRequest(pr.Method, pr.URL, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header = pr.SignedHeader.Clone()
		resp, err := rs.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		res, verr := rs.last(t)
		if verr != nil || resp.StatusCode != http.StatusOK || !res.Presigned || res.Service != "sts" {
			t.Errorf("status %d, server saw %+v, %v", resp.StatusCode, res, verr)
		}
	})

	t.Run("wrong secret is SignatureDoesNotMatch at the client", func(t *testing.T) {
		_, err := iam.NewFromConfig(rs.config("us-east-1", testKey, "wrong", "")).ListUsers(ctx, &iam.ListUsersInput{})
		var api smithy.APIError
		if !errors.As(err, &api) || api.ErrorCode() != "SignatureDoesNotMatch" || !strings.HasPrefix(api.ErrorMessage(), "The request signature we calculated") {
			t.Fatalf("client error = %v", err)
		}
	})

	t.Run("unknown key is InvalidClientTokenId at the client", func(t *testing.T) {
		_, err := sts.NewFromConfig(rs.config("us-east-1", "AKIANOTKNOWN", testSecret, "")).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		var api smithy.APIError
		if !errors.As(err, &api) || api.ErrorCode() != "InvalidClientTokenId" {
			t.Fatalf("client error = %v", err)
		}
	})
}

// TestEndToEndAWSCLI runs the AWS CLI (botocore) against the verifying
// server. Skipped in -short mode and when the CLI is not installed.
func TestEndToEndAWSCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the AWS CLI")
	}
	cli, err := exec.LookPath("aws")
	if err != nil {
		t.Skip("aws CLI not installed")
	}
	rs := newRecordingServer(t)
	dir := t.TempDir()
	env := append(os.Environ(),
		"AWS_ACCESS_KEY_ID="+tempKey, "AWS_SECRET_ACCESS_KEY="+tempSecret, "AWS_SESSION_TOKEN="+tempToken,
		"AWS_REGION=sa-east-1", "AWS_DEFAULT_REGION=sa-east-1", "AWS_CONFIG_FILE="+filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "credentials"), "AWS_EC2_METADATA_DISABLED=true",
		"AWS_PAGER=")
	for _, tc := range []struct {
		args    []string
		service string
	}{
		{[]string{"sts", "get-caller-identity"}, "sts"},
		{[]string{"iam", "list-users", "--path-prefix", "/a b/"}, "iam"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			cmd := exec.Command(cli, append(tc.args, "--endpoint-url", rs.URL, "--output", "json")...)
			cmd.Env = env
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("aws %v: %v\n%s", tc.args, err, out)
			}
			res, verr := rs.last(t)
			if verr != nil || res.Service != tc.service || res.Region != "sa-east-1" || res.SessionToken != tempToken {
				t.Errorf("server saw %+v, %v", res, verr)
			}
		})
	}
}
