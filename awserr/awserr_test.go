package awserr

import (
	"fmt"
	"testing"
)

func TestStatus(t *testing.T) {
	tests := map[string]int{
		"NoSuchEntity": 404, "EntityAlreadyExists": 409, "LimitExceeded": 409, "DeleteConflict": 409,
		"MalformedPolicyDocument": 400, "AccessDenied": 403, "InvalidClientTokenId": 403, "ServiceFailure": 500,
		"ReportNotPresent": 410, "SomethingUnknown": 400,
	}
	for code, want := range tests {
		if got := New(code, "m").Status; got != want {
			t.Errorf("%s: status %d, want %d", code, got, want)
		}
	}
	e := New("AccessDenied", "no")
	if As(fmt.Errorf("wrapped: %w", e)) != e || As(fmt.Errorf("plain")) != nil {
		t.Error("As does not find wrapped errors")
	}
}
