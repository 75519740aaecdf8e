package audit

import (
	"testing"
)

func queryEvents() []*Event {
	role := &SessionContext{SessionIssuer: &SessionIssuer{Type: "Role", ARN: "arn:aws:iam::111111111111:role/app", UserName: "app"}}
	return []*Event{
		{EventSource: "iam.amazonaws.com", EventName: "GetUser", EventTime: "2026-11-01T10:00:00Z",
			UserIdentity: UserIdentity{Type: "IAMUser", ARN: "arn:aws:iam::111111111111:user/alice", UserName: "alice"}},
		{EventSource: "iam.amazonaws.com", EventName: "ListRoles", EventTime: "2026-11-01T10:00:01Z", ErrorCode: "AccessDenied",
			UserIdentity: UserIdentity{Type: "AssumedRole", ARN: "arn:aws:sts::111111111111:assumed-role/app/s1", PrincipalID: "AROA:s1", SessionContext: role}},
		{EventSource: "iam.amazonaws.com", EventName: "GetUser", EventTime: "2026-11-01T10:00:02Z",
			UserIdentity: UserIdentity{Type: "AssumedRole", ARN: "arn:aws:sts::111111111111:assumed-role/app/s1", PrincipalID: "AROA:s1", SessionContext: role}},
		{EventSource: "iam.amazonaws.com", EventName: "GetUser", EventTime: "2026-11-01T10:00:03Z",
			UserIdentity: UserIdentity{Type: "AssumedRole", ARN: "arn:aws:sts::111111111111:assumed-role/app/s2", PrincipalID: "AROA:s2", SessionContext: role}},
		{EventSource: "sts.amazonaws.com", EventName: "GetCallerIdentity", EventTime: "2026-11-01T10:00:04Z",
			UserIdentity: UserIdentity{Type: "AssumedRole", ARN: "arn:aws:sts::111111111111:assumed-role/app/s2", PrincipalID: "AROA:s2", SessionContext: role}},
	}
}

func TestFilter(t *testing.T) {
	cases := []struct {
		name string
		f    Filter
		want int
	}{
		{"everything", Filter{}, 5},
		{"role ARN covers its sessions", Filter{Principal: "arn:aws:iam::111111111111:role/app"}, 4},
		{"session ARN", Filter{Principal: "arn:aws:sts::111111111111:assumed-role/app/s1"}, 2},
		{"user name", Filter{Principal: "alice"}, 1},
		{"role name", Filter{Principal: "app"}, 4},
		{"action with service", Filter{Action: "iam:GetUser"}, 3},
		{"action name only", Filter{Action: "getcalleridentity"}, 1},
		{"wrong service for the action", Filter{Action: "sts:GetUser"}, 0},
		{"service", Filter{Service: "sts"}, 1},
		{"errors only", Filter{ErrorsOnly: true}, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n := 0
			for _, ev := range queryEvents() {
				if tc.f.Match(ev) {
					n++
				}
			}
			if n != tc.want {
				t.Fatalf("matched %d, want %d", n, tc.want)
			}
		})
	}
}

func TestGroupEvents(t *testing.T) {
	var role []*Event
	for _, ev := range queryEvents() {
		if (Filter{Principal: "arn:aws:iam::111111111111:role/app"}).Match(ev) {
			role = append(role, ev)
		}
	}
	got := GroupEvents(role, GroupKeys["action"])
	want := []Group{
		{Key: "iam:GetUser", Count: 2, Sessions: 2, First: "2026-11-01T10:00:02Z", Last: "2026-11-01T10:00:03Z"},
		{Key: "iam:ListRoles", Count: 1, Errors: 1, Sessions: 1, First: "2026-11-01T10:00:01Z", Last: "2026-11-01T10:00:01Z"},
		{Key: "sts:GetCallerIdentity", Count: 1, Sessions: 1, First: "2026-11-01T10:00:04Z", Last: "2026-11-01T10:00:04Z"},
	}
	if len(got) != len(want) {
		t.Fatalf("groups: %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("group %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	if p := GroupEvents(queryEvents(), GroupKeys["principal"]); p[0].Key != "arn:aws:iam::111111111111:role/app" || p[0].Count != 4 {
		t.Errorf("by principal: %+v", p)
	}
}
