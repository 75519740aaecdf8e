package store

import (
	"errors"
	"testing"
)

func TestKeyCheck(t *testing.T) {
	tests := []struct {
		key  Key
		want error
	}{
		{Key{Kind: "iam.user", Account: "111122223333", ID: "alice"}, nil},
		{Key{Kind: "orgs.root", ID: "r-abcd"}, nil}, // global
		{Key{Account: "111122223333", ID: "alice"}, ErrInvalid},
		{Key{Kind: "iam.user", Account: "111122223333"}, ErrInvalid},
	}
	for _, tc := range tests {
		if err := tc.key.Check(); !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
			t.Errorf("%s: Check = %v, want %v", tc.key, err, tc.want)
		}
	}
}

func TestListOptionsCheck(t *testing.T) {
	tests := []struct {
		opts ListOptions
		want error
	}{
		{ListOptions{Kind: "iam.user"}, nil},
		{ListOptions{Kind: "iam.user", Limit: 100, Prefix: "a", After: "ab"}, nil},
		{ListOptions{Account: "111122223333"}, ErrInvalid},
		{ListOptions{Kind: "iam.user", Limit: -1}, ErrInvalid},
	}
	for _, tc := range tests {
		if err := tc.opts.Check(); !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
			t.Errorf("%+v: Check = %v, want %v", tc.opts, err, tc.want)
		}
	}
}

func TestRecordKey(t *testing.T) {
	r := Record{Kind: "iam.accesskey", Account: "111122223333", ID: "akia", Parent: "alice"}
	if got, want := r.Key(), (Key{Kind: "iam.accesskey", Account: "111122223333", ID: "akia"}); got != want {
		t.Errorf("Key = %v, want %v", got, want)
	}
}
