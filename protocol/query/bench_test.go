package query

import (
	"fmt"
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/protocol/model"
)

func BenchmarkDecodeCreateUser(b *testing.B) {
	iam := model.MustLoad("iam")
	vals := form("Action=CreateUser&Version=2010-05-08&UserName=alice&Path=%2Feng%2F" +
		"&Tags.member.1.Key=team&Tags.member.1.Value=infra&Tags.member.2.Key=cost&Tags.member.2.Value=42")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeValues(iam, vals); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeSimulateCustomPolicy(b *testing.B) {
	iam := model.MustLoad("iam")
	vals := form("Action=SimulateCustomPolicy&Version=2010-05-08" +
		"&PolicyInputList.member.1=%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D" +
		"&ActionNames.member.1=s3%3AGetObject&ActionNames.member.2=s3%3APutObject" +
		"&ContextEntries.member.1.ContextKeyName=aws%3ASourceIp&ContextEntries.member.1.ContextKeyType=ip" +
		"&ContextEntries.member.1.ContextKeyValues.member.1=10.0.0.1" +
		"&ContextEntries.member.2.ContextKeyName=aws%3APrincipalTag%2Fx&ContextEntries.member.2.ContextKeyType=stringList" +
		"&ContextEntries.member.2.ContextKeyValues.member.1=a&ContextEntries.member.2.ContextKeyValues.member.2=b")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeValues(iam, vals); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMarshalListUsers100(b *testing.B) {
	iam := model.MustLoad("iam")
	op := iam.Operations["ListUsers"]
	users := make([]any, 100)
	for i := range users {
		users[i] = map[string]any{"Path": "/", "UserName": fmt.Sprintf("user%d", i), "UserId": "AIDAEXAMPLEEXAMPLE001",
			"Arn": fmt.Sprintf("arn:aws:iam::123456789012:user/user%d", i), "CreateDate": time.Unix(1700000000, 0)}
	}
	result := map[string]any{"Users": users, "IsTruncated": true, "Marker": "m"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Marshal(iam, op, result, "r"); err != nil {
			b.Fatal(err)
		}
	}
}
