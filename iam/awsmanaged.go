package iam

import "github.com/gatehouse-iam/gatehouse/managedpolicies"

// AWSPolicy is an AWS managed policy (arn:aws:iam::aws:policy/…).
type AWSPolicy = managedpolicies.Policy

func awsManagedPolicy(arn string) (*AWSPolicy, bool) { return managedpolicies.ByARN(arn) }

func awsManagedPolicies() []*AWSPolicy { return managedpolicies.All() }
