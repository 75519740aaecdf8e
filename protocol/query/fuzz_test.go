package query

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gatehouse-iam/gatehouse/protocol/model"
)

// FuzzDecode feeds arbitrary form bodies to the IAM and STS decoders: they
// must never panic and must answer every failure with a 4xx AWS error.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		"Action=CreateUser&Version=2010-05-08&UserName=a&Tags.member.1.Key=k&Tags.member.1.Value=v",
		"Action=SimulateCustomPolicy&Version=2010-05-08&PolicyInputList.member.1=%7B%7D&ActionNames.member.1=s3:x&ContextEntries.member.1.ContextKeyValues.member.2=y",
		"Action=TagUser&Version=2010-05-08&UserName=a&Tags=",
		"Action=ListUsers&Version=2010-05-08&MaxItems=99999999999999999999",
		"Action=AssumeRole&Version=2011-06-15&RoleArn=x&RoleSessionName=s&Tags.member.0.Key=&PolicyArns.member.1.arn=",
		"Action=GetAccountAuthorizationDetails&Version=2010-05-08&Filter.member.1=User&Filter.member.1.x=1",
		"Action=UpdateRole&Version=2010-05-08&RoleName..member...1=&&=&",
	} {
		f.Add(s)
	}
	svcs := []*model.Service{model.MustLoad("iam"), model.MustLoad("sts")}
	f.Fuzz(func(t *testing.T, body string) {
		for _, svc := range svcs {
			r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
			if _, err := Decode(svc, r); err != nil && (err.Status < 400 || err.Status >= 500) {
				t.Fatalf("%q: %v (%d)", body, err, err.Status)
			}
		}
	})
}
