package catalog

import "testing"

// FuzzLookups checks that no input makes the lookups panic, and that a
// found action's full name finds it again.
func FuzzLookups(f *testing.F) {
	for _, s := range []string{"s3:GetObject", "aws:RequestTag/Env", "arn:aws:s3:::b/k", "*:Get*", "s3:${x}", "<", "${"} {
		f.Add(s, "s3:GetObject")
	}
	f.Fuzz(func(t *testing.T, s, action string) {
		if a, ok := Action(s); ok {
			if b, ok := Action(a.FullName); !ok || a != b {
				t.Fatalf("Action(%q) found %s, which does not find itself", s, a.FullName)
			}
		}
		ConditionKey(s, action)
		ConditionKey(s, "")
		MatchResourceType(action, s)
		ResourceTypesFor(s)
		if len(s) < 40 {
			ExpandActions(s)
		}
	})
}
