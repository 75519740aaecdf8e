package sqlite

import (
	"strings"
	"testing"

	"github.com/gatehouse-iam/gatehouse/store"
)

func TestPrefixEnd(t *testing.T) {
	tests := []struct {
		prefix, end string
		ok          bool
	}{
		{"a", "b", true},
		{"ab", "ac", true},
		{"a\xff", "b", true},
		{"é", "\xc3\xaa", true},
		{"\xff\xff", "", false},
	}
	for _, tc := range tests {
		end, ok := prefixEnd(tc.prefix)
		if end != tc.end || ok != tc.ok {
			t.Errorf("prefixEnd(%q) = %q, %v; want %q, %v", tc.prefix, end, ok, tc.end, tc.ok)
		}
	}
}

// FuzzPrefixEnd checks that [p, prefixEnd(p)) holds exactly the strings with
// prefix p.
func FuzzPrefixEnd(f *testing.F) {
	for _, s := range [][2]string{{"a", "ab"}, {"a\xff", "b"}, {"\xff", "\xff\x00"}, {"ab", "aa"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, p, s string) {
		if p == "" {
			return
		}
		end, ok := prefixEnd(p)
		inRange := s >= p && (!ok || s < end)
		if inRange != strings.HasPrefix(s, p) {
			t.Errorf("prefix %q, end %q (%v): %q in range = %v", p, end, ok, s, inRange)
		}
	})
}

// TestAllQueriesPrepared checks that every List and Count shape a caller can
// ask for has a prepared statement in both pools.
func TestAllQueriesPrepared(t *testing.T) {
	s := openMemory(t)
	defer s.Close()
	x, empty := "x", ""
	for _, parent := range []*string{nil, &x, &empty} {
		for _, prefix := range []string{"", "abc", "z\xff", "\xff\xff"} {
			for _, after := range []string{"", "q"} {
				for _, limit := range []int{0, 5} {
					o := store.ListOptions{Kind: "iam.user", Account: "111122223333", Parent: parent, Prefix: prefix, After: after, Limit: limit}
					lq, _ := listQuery(o)
					cq, _ := countQuery(o)
					for _, q := range []string{lq, cq} {
						if s.wstmts[q] == nil || s.rstmts[q] == nil {
							t.Errorf("%+v: %q is not prepared", o, q)
						}
					}
				}
			}
		}
	}
}
