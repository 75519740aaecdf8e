package sts

import (
	"maps"
	"reflect"
	"testing"

	"github.com/gatehouse-iam/gatehouse/iam"
)

// TestRoleTagCache checks that a role's sessions share its tag map, and
// that a change to the role's tags (a new record) shows.
func TestRoleTagCache(t *testing.T) {
	var rc roleTagCache
	const arn = "arn:aws:iam::123456789012:role/r"
	steps := []struct {
		name   string
		tags   []iam.Tag
		want   map[string]string
		shared bool // the same map as the previous step's
	}{
		{"untagged", nil, nil, false},
		{"tagged", []iam.Tag{{Key: "team", Value: "blue"}}, map[string]string{"team": "blue"}, false},
		{"same tags, another record", []iam.Tag{{Key: "team", Value: "blue"}}, map[string]string{"team": "blue"}, true},
		{"value changed", []iam.Tag{{Key: "team", Value: "red"}}, map[string]string{"team": "red"}, false},
		{"tag added", []iam.Tag{{Key: "team", Value: "red"}, {Key: "env", Value: "prod"}}, map[string]string{"team": "red", "env": "prod"}, false},
		{"tags removed", nil, nil, false},
	}
	var prev map[string]string
	for _, st := range steps {
		got := rc.get(&iam.Role{Arn: arn, Tags: st.tags})
		if !maps.Equal(got, st.want) || (got == nil) != (st.want == nil) {
			t.Fatalf("%s: %v, want %v", st.name, got, st.want)
		}
		if got != nil && prev != nil {
			if same := reflect.ValueOf(got).UnsafePointer() == reflect.ValueOf(prev).UnsafePointer(); same != st.shared {
				t.Errorf("%s: shared = %v, want %v", st.name, same, st.shared)
			}
		}
		prev = got
	}
}
