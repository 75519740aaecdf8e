package jsonrpc

import (
	"testing"

	"github.com/gatehouse-iam/gatehouse/protocol/model"
)

func BenchmarkDecodeCreatePolicy(b *testing.B) {
	org := New(model.MustLoad("organizations"))
	body := []byte(`{"Name":"deny-leave","Description":"no leaving","Type":"SERVICE_CONTROL_POLICY",` +
		`"Content":"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\",\"Action\":\"organizations:LeaveOrganization\",\"Resource\":\"*\"}]}",` +
		`"Tags":[{"Key":"team","Value":"sec"}]}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := org.DecodeBody("AWSOrganizationsV20161128.CreatePolicy", body); err != nil {
			b.Fatal(err)
		}
	}
}
