package node

import (
	"context"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// parent is the exchange a handler is serving, as its nested exchanges
// inherit it.
type parent struct {
	businessTime time.Time
	token        string
}

type parentKey struct{}

// withParent returns ctx carrying req's business time and context token
// for the exchanges the handler makes (Client.Exchange).
func withParent(ctx context.Context, req *Request) context.Context {
	if req.ContextToken == "" {
		return ctx
	}
	return context.WithValue(ctx, parentKey{}, parent{businessTime: req.BusinessTime, token: req.ContextToken})
}

// inherit makes req a nested exchange of the one ctx's handler serves:
// same business time, with the hub's token that allows it. Without a
// token (an old hub) the hub counts req on the day it receives it, as it
// would refuse a business time the caller may not set.
func inherit(ctx context.Context, req *hubv1.ExchangeRequest) {
	p, ok := ctx.Value(parentKey{}).(parent)
	if !ok {
		return
	}
	req.ContextToken = p.token
	if !p.businessTime.IsZero() && req.BusinessTime == nil {
		req.BusinessTime = timestamppb.New(p.businessTime)
	}
}
