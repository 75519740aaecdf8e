package iam

import (
	"context"
	"testing"
	"time"

	"github.com/gatehouse-iam/gatehouse/authz"
	"github.com/gatehouse-iam/gatehouse/protocol"
	"github.com/gatehouse-iam/gatehouse/store/sqlite"
)

// testAccount is the account newTestService's operations run in.
const testAccount = "111122223333"

// newTestService returns a Service on a new in-memory store (closed when
// the test ends) and must, which runs an operation as testAccount's root
// and ends the test on an error.
func newTestService(t *testing.T) (*Service, func(op string, p protocol.Params) any) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.OpenMemory()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	sealer, _ := NewSealer(make([]byte, 32))
	s, err := New(ctx, Config{Store: st, Sealer: sealer})
	if err != nil {
		t.Fatal(err)
	}
	must := func(op string, p protocol.Params) any {
		t.Helper()
		c := &Call{Ctx: ctx, Account: testAccount, Caller: &authz.Principal{Type: authz.Root}, Params: p, Now: time.Now().UTC(), Context: authz.Context{}}
		out, err := operations[op].Handle(s, c)
		if err != nil {
			t.Fatalf("%s: %v", op, err)
		}
		return out
	}
	return s, must
}
