package managedpolicies_test

import (
	"fmt"

	"github.com/gatehouse-iam/gatehouse/managedpolicies"
)

func ExampleByARN() {
	p, ok := managedpolicies.ByARN("arn:aws-cn:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")
	fmt.Println(p.Name, p.Path, ok)
	fmt.Println(p.ARNIn("aws-cn"))
	// Output:
	// AWSLambdaBasicExecutionRole /service-role/ true
	// arn:aws-cn:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole
}
