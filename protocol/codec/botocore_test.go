package codec

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
)

// Requests as botocore 1.43.11's serializers write them (captured with
// botocore.serialize.create_serializer on the same models): model member
// order, "Tags=" for an empty list, the full CloudTrail target prefix,
// %2F-escaped ARN labels, repeated query keys for lists.
func TestBotocoreRequests(t *testing.T) {
	tests := []struct {
		service, method, target, xAmzTarget, body string
		op, params                                string // params as JSON
	}{
		{"iam", "POST", "/", "", "Action=CreateUser&Version=2010-05-08&UserName=alice&Path=%2Feng%2F&Tags.member.1.Key=team&Tags.member.1.Value=a+b%2Bc&Tags.member.2.Key=k2&Tags.member.2.Value=",
			"CreateUser", `{"Path":"/eng/","Tags":[{"Key":"team","Value":"a b+c"},{"Key":"k2","Value":""}],"UserName":"alice"}`},
		{"iam", "POST", "/", "", "Action=TagUser&Version=2010-05-08&UserName=bob&Tags=",
			"TagUser", `{"Tags":[],"UserName":"bob"}`},
		{"iam", "POST", "/", "", "Action=SimulateCustomPolicy&Version=2010-05-08&PolicyInputList.member.1=%7B%22Version%22%3A%222012-10-17%22%7D&ActionNames.member.1=s3%3AGetObject" +
			"&ContextEntries.member.1.ContextKeyName=aws%3ASourceIp&ContextEntries.member.1.ContextKeyType=ipList&ContextEntries.member.1.ContextKeyValues.member.1=10.0.0.1&ContextEntries.member.1.ContextKeyValues.member.2=10.0.0.2",
			"SimulateCustomPolicy", `{"ActionNames":["s3:GetObject"],"ContextEntries":[{"ContextKeyName":"aws:SourceIp","ContextKeyType":"ipList","ContextKeyValues":["10.0.0.1","10.0.0.2"]}],"PolicyInputList":["{\"Version\":\"2012-10-17\"}"]}`},
		{"sts", "POST", "/", "", "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fr&RoleSessionName=s1&DurationSeconds=900" +
			"&PolicyArns.member.1.arn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2FReadOnlyAccess&Tags.member.1.Key=k&Tags.member.1.Value=v&TransitiveTagKeys.member.1=k",
			"AssumeRole", `{"DurationSeconds":900,"PolicyArns":[{"arn":"arn:aws:iam::aws:policy/ReadOnlyAccess"}],"RoleArn":"arn:aws:iam::123456789012:role/r","RoleSessionName":"s1","Tags":[{"Key":"k","Value":"v"}],"TransitiveTagKeys":["k"]}`},
		{"organizations", "POST", "/", "AWSOrganizationsV20161128.CreatePolicy", `{"Name": "p", "Description": "d", "Type": "SERVICE_CONTROL_POLICY", "Content": "{}", "Tags": [{"Key": "k", "Value": "v"}]}`,
			"CreatePolicy", `{"Content":"{}","Description":"d","Name":"p","Tags":[{"Key":"k","Value":"v"}],"Type":"SERVICE_CONTROL_POLICY"}`},
		{"cloudtrail", "POST", "/", "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents", `{"StartTime": 1704067200, "MaxResults": 5}`,
			"LookupEvents", `{"MaxResults":5,"StartTime":"2024-01-01T00:00:00Z"}`},
		{"accessanalyzer", "POST", "/policy/validation?maxResults=5", "", `{"policyDocument": "{}", "policyType": "IDENTITY_POLICY"}`,
			"ValidatePolicy", `{"maxResults":5,"policyDocument":"{}","policyType":"IDENTITY_POLICY"}`},
		{"accessanalyzer", "DELETE", "/tags/arn%3Aaws%3Aaccess-analyzer%3Aus-east-1%3A123456789012%3Aanalyzer%2Fa?tagKeys=a&tagKeys=b", "", "",
			"UntagResource", `{"resourceArn":"arn:aws:access-analyzer:us-east-1:123456789012:analyzer/a","tagKeys":["a","b"]}`},
	}
	for _, tt := range tests {
		t.Run(tt.op, func(t *testing.T) {
			c, err := For(tt.service)
			if err != nil {
				t.Fatal(err)
			}
			r := httptest.NewRequest(tt.method, tt.target, strings.NewReader(tt.body))
			r.Header.Set("X-Amz-Target", tt.xAmzTarget)
			req, err := c.Decode(r)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := json.Marshal(req.Params)
			if req.Operation.Name != tt.op || string(got) != tt.params {
				t.Errorf("got %s %s\nwant %s %s", req.Operation.Name, got, tt.op, tt.params)
			}
		})
	}
}
