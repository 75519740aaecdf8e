package jsonrpc

import (
	"context"
	"errors"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/smithy-go"

	"github.com/gatehouse-iam/gatehouse/awserr"
	"github.com/gatehouse-iam/gatehouse/protocol"
	"github.com/gatehouse-iam/gatehouse/protocol/model"
)

var update = flag.Bool("update", false, "rewrite testdata from the encoder's output")

var ctx = context.Background()

type server struct {
	codec   *Codec
	got     *protocol.Request
	respond func(*protocol.Request) (any, error)
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	req, err := s.codec.Decode(r)
	if err != nil {
		s.codec.WriteError(w, err, "req-1")
		return
	}
	s.got = req
	var result any
	if s.respond != nil {
		result, err = s.respond(req)
	}
	if err != nil {
		s.codec.WriteError(w, err, "req-1")
		return
	}
	s.codec.WriteResponse(w, req.Operation, result, "req-1")
}

func start(t *testing.T, service string) (*server, string) {
	s := &server{codec: New(model.MustLoad(service))}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return s, ts.URL
}

func orgClient(url string) *organizations.Client {
	return organizations.New(organizations.Options{Region: "us-east-1", BaseEndpoint: aws.String(url),
		Credentials: aws.AnonymousCredentials{}, RetryMaxAttempts: 1})
}

var organization = map[string]any{"Organization": map[string]any{
	"Id": "o-exampleorgid", "Arn": "arn:aws:organizations::111111111111:organization/o-exampleorgid",
	"FeatureSet": "ALL", "MasterAccountArn": "arn:aws:organizations::111111111111:account/o-exampleorgid/111111111111",
	"MasterAccountId": "111111111111", "MasterAccountEmail": "bill@example.com",
	"AvailablePolicyTypes": []any{map[string]any{"Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED"}},
}}

func TestDescribeOrganizationGolden(t *testing.T) {
	org := model.MustLoad("organizations")
	w := httptest.NewRecorder()
	New(org).WriteResponse(w, org.Operations["DescribeOrganization"], organization, "req-1")
	if w.Code != 200 || w.Header().Get("Content-Type") != ContentType || w.Header().Get("x-amzn-RequestId") != "req-1" {
		t.Errorf("%d %v", w.Code, w.Header())
	}
	path := filepath.Join("testdata", "DescribeOrganization.json")
	if *update {
		os.WriteFile(path, w.Body.Bytes(), 0o644)
	}
	want, _ := os.ReadFile(path)
	if w.Body.String() != string(want) {
		t.Errorf("got  %s\nwant %s", w.Body, want)
	}
}

func TestSDKOrganizations(t *testing.T) {
	s, url := start(t, "organizations")
	c := orgClient(url)
	s.respond = func(*protocol.Request) (any, error) { return organization, nil }
	out, err := c.DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.Organization.Id) != "o-exampleorgid" || out.Organization.FeatureSet != orgtypes.OrganizationFeatureSetAll ||
		len(out.Organization.AvailablePolicyTypes) != 1 {
		t.Errorf("client parsed %+v", out.Organization)
	}

	created := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	s.respond = func(r *protocol.Request) (any, error) {
		return map[string]any{"CreateAccountStatus": map[string]any{"Id": "car-exampleid1", "AccountName": r.Params.String("AccountName"),
			"State": "IN_PROGRESS", "RequestedTimestamp": created}}, nil
	}
	cout, err := c.CreateAccount(ctx, &organizations.CreateAccountInput{AccountName: aws.String("dev"), Email: aws.String("dev@example.com"),
		Tags: []orgtypes.Tag{{Key: aws.String("env"), Value: aws.String("dev")}}})
	if err != nil {
		t.Fatal(err)
	}
	if tags := s.got.Params.Structs("Tags"); len(tags) != 1 || tags[0].String("Key") != "env" {
		t.Errorf("tags %v", s.got.Params)
	}
	if !cout.CreateAccountStatus.RequestedTimestamp.Equal(created) {
		t.Errorf("timestamp %v", cout.CreateAccountStatus.RequestedTimestamp)
	}

	// A handler error with a Reason reaches the client's typed exception.
	s.respond = func(*protocol.Request) (any, error) {
		return nil, protocol.WithFields(awserr.New("ConstraintViolationException", "You have reached the limit."),
			map[string]any{"Reason": "ACCOUNT_NUMBER_LIMIT_EXCEEDED"})
	}
	_, err = c.CreateAccount(ctx, &organizations.CreateAccountInput{AccountName: aws.String("x"), Email: aws.String("x@example.com")})
	var cve *orgtypes.ConstraintViolationException
	if !errors.As(err, &cve) || cve.Reason != orgtypes.ConstraintViolationExceptionReasonAccountNumberLimitExceeded ||
		cve.ErrorMessage() != "You have reached the limit." {
		t.Errorf("constraint violation: %v", err)
	}
	var re *awshttp.ResponseError
	if !errors.As(err, &re) || re.HTTPStatusCode() != 400 || re.ServiceRequestID() != "req-1" {
		t.Errorf("response error %v", err)
	}

	// Model validation: Organizations answers InvalidInputException with a Reason.
	_, err = c.DescribePolicy(ctx, &organizations.DescribePolicyInput{PolicyId: aws.String("not-a-policy")})
	var iie *orgtypes.InvalidInputException
	if !errors.As(err, &iie) || iie.Reason != orgtypes.InvalidInputExceptionReasonInvalidPattern {
		t.Errorf("invalid input: %v", err)
	}
	s.respond = func(*protocol.Request) (any, error) { return nil, errors.New("db down") }
	_, err = c.DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
	var api smithy.APIError
	if !errors.As(err, &api) || api.ErrorCode() != "InternalFailure" || !errors.As(err, &re) || re.HTTPStatusCode() != 500 {
		t.Errorf("server fault %v", err)
	}
}

func TestSDKCloudTrailTimestamps(t *testing.T) {
	s, url := start(t, "cloudtrail")
	at := time.Date(2024, 1, 2, 3, 4, 5, 250e6, time.UTC)
	s.respond = func(*protocol.Request) (any, error) {
		return map[string]any{"Events": []any{map[string]any{"EventId": "e1", "EventName": "CreateUser", "EventTime": at,
			"CloudTrailEvent": `{"eventVersion":"1.08"}`}}}, nil
	}
	c := cloudtrail.New(cloudtrail.Options{Region: "us-east-1", BaseEndpoint: aws.String(url),
		Credentials: aws.AnonymousCredentials{}, RetryMaxAttempts: 1})
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	out, err := c.LookupEvents(ctx, &cloudtrail.LookupEventsInput{StartTime: aws.Time(start), MaxResults: aws.Int32(5),
		LookupAttributes: []cttypes.LookupAttribute{{AttributeKey: cttypes.LookupAttributeKeyEventName, AttributeValue: aws.String("CreateUser")}}})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := s.got.Params.Time("StartTime"); !got.Equal(start) {
		t.Errorf("StartTime %v", got)
	}
	if n, _ := s.got.Params.Int("MaxResults"); n != 5 {
		t.Errorf("MaxResults %v", s.got.Params)
	}
	if len(out.Events) != 1 || !out.Events[0].EventTime.Equal(at) {
		t.Errorf("events %+v", out.Events)
	}
}

func TestDecodeErrors(t *testing.T) {
	org := New(model.MustLoad("organizations"))
	ct := New(model.MustLoad("cloudtrail"))
	tests := []struct {
		name         string
		codec        *Codec
		target, body string
		want         string // error body
		status       int
	}{
		{"no target", org, "", "{}", `{"__type":"UnknownOperationException"}`, 400},
		{"unknown op", org, "AWSOrganizationsV20161128.DescribeOrganisation", "{}", `{"__type":"UnknownOperationException"}`, 400},
		{"wrong prefix", org, "AWSOrganizationsV20161127.DescribeOrganization", "{}", `{"__type":"UnknownOperationException"}`, 400},
		{"partial prefix", ct, "v20131101.CloudTrail_20131101.GetTrailStatus", "{}", `{"__type":"UnknownOperationException"}`, 400},
		{"not json", org, "AWSOrganizationsV20161128.DescribePolicy", "{", `{"__type":"SerializationException","Message":"The request body is not valid JSON: unexpected EOF"}`, 400},
		{"not an object", org, "AWSOrganizationsV20161128.DescribePolicy", "[]", `{"__type":"SerializationException","Message":"The request body is not a JSON object."}`, 400},
		{"wrong type", org, "AWSOrganizationsV20161128.DescribePolicy", `{"PolicyId":5}`, `{"__type":"SerializationException","Message":"Expected a string, found a number at 'policyId'"}`, 400},
		{"missing required", org, "AWSOrganizationsV20161128.DescribePolicy", `{}`,
			`{"__type":"InvalidInputException","Message":"You must include a value for all required parameters.","Reason":"INPUT_REQUIRED"}`, 400},
		{"enum", org, "AWSOrganizationsV20161128.ListPolicies", `{"Filter":"NOPE"}`,
			`{"__type":"InvalidInputException","Message":"You specified an invalid value.","Reason":"INVALID_ENUM"}`, 400},
		{"range", org, "AWSOrganizationsV20161128.ListPolicies", `{"Filter":"SERVICE_CONTROL_POLICY","MaxResults":0}`,
			`{"__type":"InvalidInputException","Message":"You provided a numeric parameter that has a smaller value than allowed.","Reason":"MIN_VALUE_EXCEEDED"}`, 400},
		{"integer overflow", org, "AWSOrganizationsV20161128.ListPolicies", `{"Filter":"SERVICE_CONTROL_POLICY","MaxResults":3000000000}`,
			`{"__type":"SerializationException","Message":"Expected an integer, found a number at 'maxResults'"}`, 400},
		{"cloudtrail required", ct, "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.GetTrailStatus", `{}`,
			`{"__type":"ValidationException","Message":"1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null"}`, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(tt.body))
			r.Header.Set("X-Amz-Target", tt.target)
			_, err := tt.codec.Decode(r)
			if err == nil {
				t.Fatal("decoded")
			}
			w := httptest.NewRecorder()
			tt.codec.WriteError(w, err, "r")
			if w.Body.String() != tt.want || w.Code != tt.status {
				t.Errorf("got %d %s\nwant %d %s", w.Code, w.Body, tt.status, tt.want)
			}
		})
	}
}

func TestEmptyBodyAndNoOutput(t *testing.T) {
	org := New(model.MustLoad("organizations"))
	r, err := org.DecodeBody("AWSOrganizationsV20161128.DescribeOrganization", nil)
	if err != nil || r.Operation.Name != "DescribeOrganization" {
		t.Fatalf("%v %v", r, err)
	}
	w := httptest.NewRecorder()
	org.WriteResponse(w, org.Service.Operations["DeleteOrganization"], nil, "r")
	if w.Body.String() != "{}" {
		t.Errorf("no-output body %s", w.Body)
	}
}
