package sts

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/gatehouse-iam/gatehouse/authz"
)

func TestEncodeAuthorizationMessageBoundsItsSize(t *testing.T) {
	kr, _, _ := newRing(t)
	s := &Service{ring: kr}
	req := &authz.Request{Principal: &authz.Principal{Type: authz.User, ARN: "arn:aws:iam::123456789012:user/u", ID: "AIDAEXAMPLE", Username: "u"},
		Action: "sts:AssumeRole", Resource: "arn:aws:iam::123456789012:role/r", Context: authz.Context{}}
	req.Context.Set("aws:SourceIp", "192.0.2.1")
	decode := func(enc string) map[string]any {
		t.Helper()
		raw, err := base64.RawURLEncoding.DecodeString(enc)
		if err != nil {
			t.Fatal(err)
		}
		plain, err := kr.open(messageVersion, raw)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(plain, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	ex := &authz.Explanation{Decision: authz.ImplicitDeny}
	small := decode(s.EncodeAuthorizationMessage(ex, req))
	if !strings.Contains(mustJSON(t, small), `"aws:sourceip"`) {
		t.Fatalf("conditions missing: %v", small)
	}
	for i := range 50 {
		req.Context.Set(fmt.Sprintf("aws:RequestTag/key-%03d-%s", i, strings.Repeat("k", 116)), strings.Repeat("v", 256))
	}
	enc := s.EncodeAuthorizationMessage(ex, req)
	if enc == "" || len(enc) > 4*maxMessage/3+64 {
		t.Fatalf("encoded message of %d bytes", len(enc))
	}
	big := decode(enc)
	if strings.Contains(mustJSON(t, big), "aws:sourceip") || big["context"].(map[string]any)["action"] != "sts:AssumeRole" {
		t.Fatalf("oversized message: conditions kept or context lost (%d bytes of JSON)", len(mustJSON(t, big)))
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
