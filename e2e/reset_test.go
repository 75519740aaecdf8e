package e2e_test

import (
	"net/http"
	"testing"
)

// TestEphemeralReset: POST /_gatehouse/reset wipes everything and
// re-bootstraps the same root credentials.
func TestEphemeralReset(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	aws := newAWSCLI(t, srv.URL, rootKeyID, rootSecret)
	aws.ok(t, "iam", "create-user", "--user-name", "before-reset")
	resp, err := http.Post(srv.URL+"/_gatehouse/reset", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("reset: %d", resp.StatusCode)
	}
	if users := field(aws.ok(t, "iam", "list-users"), "Users").([]any); len(users) != 0 {
		t.Fatalf("users after reset: %v", users)
	}
	aws.ok(t, "iam", "create-user", "--user-name", "before-reset") // the root keys still work
}
