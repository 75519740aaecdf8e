package catalog_test

import (
	"fmt"

	"github.com/gatehouse-iam/gatehouse/catalog"
)

func ExampleAction() {
	a, ok := catalog.Action("S3:getobject")
	fmt.Println(a.FullName, ok, a.AccessLevel)
	// Output: s3:GetObject true Read
}

func ExampleConditionKey() {
	k, ok := catalog.ConditionKey("aws:RequestTag/Env", "")
	fmt.Println(k.Name, k.Type, k.Global, ok)
	_, ok = catalog.ConditionKey("s3:x-amz-acl", "s3:GetObject")
	fmt.Println("s3:x-amz-acl with s3:GetObject:", ok)
	// Output:
	// aws:RequestTag/${TagKey} String true true
	// s3:x-amz-acl with s3:GetObject: false
}

func ExampleMatchResourceType() {
	rt, ok := catalog.MatchResourceType("s3:GetObject", "arn:aws:s3:::my-bucket/reports/2024.csv")
	fmt.Println(rt.Name, ok)
	// Output: object true
}

func ExampleExpandActions() {
	fmt.Println(catalog.ExpandActions("iam:?etUser"))
	// Output: [iam:GetUser]
}
