package hub

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ndxp/ndxp/hub/auth"
	"github.com/ndxp/ndxp/internal/field"
	"github.com/ndxp/ndxp/internal/kvmap"
	"github.com/ndxp/ndxp/internal/vn"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// DeclaredBucket is the KV bucket of the declared offset; every hub on one
// NATS reads the same.
const DeclaredBucket = "ndxp_declared"

// declaredKey is the offset's key in the bucket.
const declaredKey = "since_launch"

// MaxSource bounds DeclaredOffset.source.
const MaxSource = 512

// DeclareOffset checks and stores the operator's since-launch offset (only
// the operator, or anyone on an insecure hub, may); total 0 clears it. It
// returns the offset as stored, stamped with who declared it and when.
func (h *Hub) DeclareOffset(ctx context.Context, in *hubv1.DeclaredOffset) (*hubv1.DeclaredOffset, error) {
	id, ok := auth.FromContext(ctx)
	if ok && !id.IsOperator() {
		return nil, fmt.Errorf("%w: only the operator may declare the since-launch offset, not %s", ErrForbidden, who(id))
	}
	o := &hubv1.DeclaredOffset{Total: in.GetTotal(), AsOf: in.GetAsOf(), Source: in.GetSource(), DeclaredAt: timestamppb.Now(), DeclaredBy: "insecure"}
	if ok {
		o.DeclaredBy = who(id)
	}
	if o.Total == 0 {
		return o, h.doOnNATS(ctx, func(ctx context.Context) error { return h.declared.Delete(ctx, declaredKey) })
	}
	switch {
	case o.Total < 0:
		return nil, field.Errorf("offset.total", "%d: want a positive number of transactions, or 0 to clear", o.Total)
	case !hasVisible(o.Source):
		return nil, field.Errorf("offset.source", "is required: say which report the figure comes from")
	}
	if _, err := vn.ParseDay(o.AsOf); err != nil {
		return nil, field.Errorf("offset.as_of", "%q: want the day the figure is published for, YYYY-MM-DD", o.AsOf)
	}
	if err := checkText(o.Source, MaxSource); err != nil {
		return nil, field.Wrap("offset.source", err)
	}
	if err := h.doOnNATS(ctx, func(ctx context.Context) error { return h.declared.Put(ctx, declaredKey, o) }); err != nil {
		return nil, err
	}
	h.log.Info("since-launch offset declared", zap.Int64("total", o.Total), zap.String("as_of", o.AsOf), zap.String("by", o.DeclaredBy))
	return o, nil
}

// addDeclared puts the declared offset, if any, in st.
func (h *Hub) addDeclared(st *hubv1.Stats) {
	st.SinceLaunch = st.GetAllTime().GetTotal()
	if o, ok := h.declared.Get(declaredKey); ok {
		st.Declared = proto.CloneOf(o)
		st.SinceLaunch += o.GetTotal()
	}
}

func openDeclared(ctx context.Context, js jetstream.JetStream, replicas int, log *zap.Logger) (*kvmap.Map[*hubv1.DeclaredOffset], error) {
	return kvmap.Open(ctx, js, kvmap.Config{Bucket: DeclaredBucket, Description: "ndxp declared since-launch offset", Replicas: replicas, MaxBytes: 1 << 20},
		func() *hubv1.DeclaredOffset { return &hubv1.DeclaredOffset{} }, log.Named("declared"))
}
