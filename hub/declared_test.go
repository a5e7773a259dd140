package hub_test

import (
	"testing"

	"google.golang.org/grpc/codes"

	"github.com/ndxp/ndxp/adapters/population"
	"github.com/ndxp/ndxp/cmd/ndxp/platform/hubtest"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// TestDeclaredOffset: the operator declares the since-launch figure it
// does not replay; stats show it apart from what was counted; an agency
// may not declare; bad input names the field; 0 clears it.
func TestDeclaredOffset(t *testing.T) {
	env := hubtest.Start(t, hubtest.WithSecurity(), hubtest.WithGrants(&hubv1.AccessGrant{
		Provider: population.Code, Service: "*", To: &hubv1.AccessGrant_Consumer{Consumer: consumer},
	}))
	ctx := ctxT(t)
	if _, err := env.Exchange.Exchange(ctx, lookup(t, knownID)); err != nil {
		t.Fatal(err)
	}
	offset := &hubv1.DeclaredOffset{Total: 1_300_000_000, AsOf: "2023-05-20", Source: "MIC report H1 2023"}
	_, err := hubv1.NewStatsServiceClient(env.DialAs(t, consumer)).DeclareOffset(ctx, &hubv1.DeclareOffsetRequest{Offset: offset})
	wantCode(t, err, codes.PermissionDenied)
	for name, bad := range map[string]*hubv1.DeclaredOffset{
		"offset.total":  {Total: -1, AsOf: "2023-05-20", Source: "x"},
		"offset.as_of":  {Total: 1, AsOf: "20/5/2023", Source: "x"},
		"offset.source": {Total: 1, AsOf: "2023-05-20"},
	} {
		_, err := env.Stats.DeclareOffset(ctx, &hubv1.DeclareOffsetRequest{Offset: bad})
		wantField(t, err, name)
	}
	if _, err := env.Stats.DeclareOffset(ctx, &hubv1.DeclareOffsetRequest{Offset: offset}); err != nil {
		t.Fatal(err)
	}
	st := todayStats(t, env)
	if d := st.GetDeclared(); d.GetTotal() != 1_300_000_000 || d.GetDeclaredBy() != "urn:ndxp:operator" || st.GetAllTime().GetTotal() != 1 || st.GetSinceLaunch() != 1_300_000_001 {
		t.Fatalf("declared %v, all time %v, since launch %d; want 1.3 billion declared + 1 counted", d, st.GetAllTime(), st.GetSinceLaunch())
	}
	if _, err := env.Stats.DeclareOffset(ctx, &hubv1.DeclareOffsetRequest{Offset: &hubv1.DeclaredOffset{}}); err != nil {
		t.Fatal(err)
	}
	if st := todayStats(t, env); st.GetDeclared() != nil || st.GetSinceLaunch() != 1 {
		t.Fatalf("after clearing: declared %v, since launch %d; want none and 1", st.GetDeclared(), st.GetSinceLaunch())
	}
}
