package e2e_test

import "testing"

// TestCLIResultParsing checks how the helpers read what the AWS CLI
// printed, so that a change in the CLI's wording fails here rather than
// as a confusing mismatch in the end-to-end tests.
func TestCLIResultParsing(t *testing.T) {
	for _, tc := range []struct {
		name          string
		r             cliResult
		code, message string
	}{
		{"service error", cliResult{code: 254, stderr: "\nAn error occurred (AccessDenied) when calling the CreateUser operation: User: arn:aws:iam::123456789012:user/x is not authorized to perform: iam:CreateUser on resource: arn:aws:iam::123456789012:user/y because no identity-based policy allows the iam:CreateUser action\n"},
			"AccessDenied", "User: arn:aws:iam::123456789012:user/x is not authorized to perform: iam:CreateUser on resource: arn:aws:iam::123456789012:user/y because no identity-based policy allows the iam:CreateUser action"},
		{"client-side validation", cliResult{code: 255, stderr: "\nParameter validation failed:\nInvalid length for parameter RoleSessionName, value: 1, valid min length: 2\n"}, "", ""},
		{"success", cliResult{code: 0, stdout: "{}"}, "", ""},
		{"exit 0 with an error text is not an error", cliResult{code: 0, stderr: "An error occurred (Throttling) when calling the X operation: slow"}, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, msg := tc.r.apiError()
			if code != tc.code || msg != tc.message {
				t.Errorf("apiError() = %q, %q; want %q, %q", code, msg, tc.code, tc.message)
			}
		})
	}

	doc := map[string]any{"Roles": []any{map[string]any{"RoleName": "a"}}}
	for _, tc := range []struct {
		path []any
		want any
	}{
		{[]any{"Roles", 0, "RoleName"}, "a"},
		{[]any{"Roles", 1, "RoleName"}, nil},
		{[]any{"Users", 0}, nil},
		{[]any{"Roles", "RoleName"}, nil},
	} {
		if got := field(doc, tc.path...); got != tc.want {
			t.Errorf("field(%v) = %v, want %v", tc.path, got, tc.want)
		}
	}
}
