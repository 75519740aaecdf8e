package iam

import (
	"testing"
	"time"
)

// TestTOTP checks totp against RFC 6238's SHA-1 test vectors (appendix B),
// truncated to six digits.
func TestTOTP(t *testing.T) {
	key := []byte("12345678901234567890")
	for _, tc := range []struct {
		unix int64
		want string
	}{
		{59, "287082"},
		{1111111109, "081804"},
		{1111111111, "050471"},
		{1234567890, "005924"},
		{2000000000, "279037"},
		{20000000000, "353130"},
	} {
		if got := totp(key, totpStepAt(time.Unix(tc.unix, 0))); got != tc.want {
			t.Errorf("totp at %d = %s, want %s", tc.unix, got, tc.want)
		}
	}
}

func TestFindCodes(t *testing.T) {
	key := []byte("12345678901234567890")
	now := int64(1000)
	for _, tc := range []struct {
		name         string
		after        int64
		code1, code2 string
		want         int64
		ok           bool
	}{
		{"consecutive pair", 0, totp(key, 998), totp(key, 999), 999, true},
		{"pair out of order", 0, totp(key, 999), totp(key, 998), 0, false},
		{"single current", 0, totp(key, 1000), "", 1000, true},
		{"single next step", 0, totp(key, 1001), "", 1001, true},
		{"outside window", 0, totp(key, 1003), "", 0, false},
		{"replayed", 1000, totp(key, 1000), "", 0, false},
		{"wrong code", 0, "000000", "", 0, false},
	} {
		window := int64(1)
		if tc.code2 != "" {
			window = enableWindow
		}
		got, ok := findCodes(key, tc.after, now, window, tc.code1, tc.code2)
		if got != tc.want || ok != tc.ok {
			t.Errorf("%s: got %d %v, want %d %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
}

func TestCheckPassword(t *testing.T) {
	strict := &PasswordPolicy{MinimumPasswordLength: 10, RequireSymbols: true, RequireNumbers: true,
		RequireUppercaseCharacters: true, RequireLowercaseCharacters: true}
	for _, tc := range []struct {
		pp       *PasswordPolicy
		password string
		ok       bool
	}{
		{nil, "Passw0rd", true},
		{nil, "password", false},
		{nil, "Pass0", false},
		{nil, "pass-w0rd", true},
		{nil, "ÄÖÜäöü12", false},
		{nil, "Äpass-wörd", false},
		{nil, "Äpass-w0rd", true},
		{strict, "Passw0rd!!", true},
		{strict, "Passw0rd!", false},
		{strict, "passw0rd!!", false},
		{strict, "Password!!", false},
		{strict, "Passw0rdxx", false},
		{&PasswordPolicy{MinimumPasswordLength: 6}, "aaaaaa", true},
	} {
		if err := checkPassword(tc.pp, tc.password); (err == nil) != tc.ok {
			t.Errorf("checkPassword(%+v, %q) = %v, want ok=%v", tc.pp, tc.password, err, tc.ok)
		}
	}
}

func TestPasswordHash(t *testing.T) {
	h, err := hashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if h.Iterations < 600_000 || len(h.Salt) != passwordSaltLen {
		t.Fatalf("weak hash parameters: %+v", h)
	}
	if !h.matches("correct horse") || h.matches("correct horsE") || (PasswordHash{}).matches("") {
		t.Fatal("matches is wrong")
	}
	h2, _ := hashPassword("correct horse")
	if string(h2.Salt) == string(h.Salt) || string(h2.Key) == string(h.Key) {
		t.Fatal("salt is not random")
	}
}

func TestServiceLinkedNames(t *testing.T) {
	for _, tc := range []struct{ service, name string }{
		{"autoscaling.amazonaws.com", "AutoScaling"},
		{"ecs.amazonaws.com", "ECS"},
		{"lambda.amazonaws.com", "Lambda"},
		{"guardduty.amazonaws.com", "AmazonGuardDuty"},
		{"securityhub.amazonaws.com", "SecurityHub"},
		{"kafka.amazonaws.com", "Kafka"},
		{"backup.amazonaws.com", "Backup"},
		{"replication.ecr.amazonaws.com", ""},
		{"access-analyzer.amazonaws.com", "AccessAnalyzer"},
		{"compute-optimizer.amazonaws.com", "ComputeOptimizer"},
		{"no-such-thing.amazonaws.com", "NoSuchThing"},
		{"example.com", ""},
	} {
		ls, ok := serviceLinked(tc.service)
		if ls.name != tc.name || ok != (tc.name != "") {
			t.Errorf("%s: got %q %v, want %q", tc.service, ls.name, ok, tc.name)
		}
	}
	if ls, _ := serviceLinked("guardduty.amazonaws.com"); ls.policy != "AmazonGuardDutyServiceRolePolicy" {
		t.Errorf("guardduty policy: %q", ls.policy)
	}
}
