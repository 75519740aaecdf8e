package jsonrpc

import (
	"testing"

	"github.com/gatehouse-iam/gatehouse/awserr"
	"github.com/gatehouse-iam/gatehouse/protocol/model"
)

// FuzzDecodeBody feeds arbitrary targets and bodies to the Organizations
// and CloudTrail decoders: they must never panic and must answer every
// failure with a 4xx AWS error.
func FuzzDecodeBody(f *testing.F) {
	seeds := [][2]string{
		{"AWSOrganizationsV20161128.CreatePolicy", `{"Name":"p","Description":"d","Type":"SERVICE_CONTROL_POLICY","Content":"{}","Tags":[{"Key":"k","Value":"v"}]}`},
		{"AWSOrganizationsV20161128.ListPolicies", `{"Filter":"TAG_POLICY","MaxResults":1e400}`},
		{"AWSOrganizationsV20161128.CreateAccount", `{"Email":null,"AccountName":[1,{"a":[]}]}`},
		{"CloudTrail_20131101.LookupEvents", `{"StartTime":1.7e9,"EndTime":"2024-01-02T03:04:05Z","LookupAttributes":[null]}`},
		{"com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.PutEventSelectors", `{"TrailName":"t","AdvancedEventSelectors":[{"FieldSelectors":[{"Field":"x","Equals":["a"]}]}]}`},
		{"CloudTrail_20131101.StartQuery", `{"QueryParameters":["a"],"QueryAlias":"\u0000"} trailing`},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1])
	}
	codecs := []*Codec{New(model.MustLoad("organizations")), New(model.MustLoad("cloudtrail"))}
	f.Fuzz(func(t *testing.T, target, body string) {
		for _, c := range codecs {
			_, err := c.DecodeBody(target, []byte(body))
			if err == nil {
				continue
			}
			if e := awserr.As(err); e == nil || e.Status < 400 || e.Status >= 500 {
				t.Fatalf("%q %q: %v", target, body, err)
			}
		}
	})
}
