package hub

import (
	"context"
	"time"

	"go.uber.org/zap"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ndxp/ndxp/hub/callctx"
	"github.com/ndxp/ndxp/internal/field"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// nesting issues the context tokens sent to providers and checks those
// that come back on nested exchanges (see hub/callctx). It signs with the
// key that signs the audit chain (the hub certificate's), and checks
// against the CA the audit chain is checked against, so a token of any hub
// of the platform holds on every other.
type nesting struct {
	issuer   callctx.Issuer
	verifier *callctx.Verifier
}

func newNesting(cfg Config) *nesting {
	n := &nesting{
		issuer:   callctx.Issuer{Key: cfg.Audit.Signer.Key, Cert: cfg.Audit.Signer.Cert, Hub: cfg.ID},
		verifier: &callctx.Verifier{},
	}
	if cfg.Audit.Signer.Key != nil {
		n.issuer.MAC = callctx.MACKey(cfg.Audit.Signer.Key)
		n.verifier.MAC = n.issuer.MAC
	}
	if cfg.Audit.Trust != nil {
		n.verifier.Roots = cfg.Audit.Trust.Roots
	}
	return n
}

// nested is what the caller and the context token of an exchange allow.
type nested struct {
	// trusted: the business time may be set (operator, insecure hub, or a
	// token that holds).
	trusted bool
	// businessTime is the business time asked for: the request's, or the
	// token's when the request sets none.
	businessTime *timestamppb.Timestamp
	// parent is the token's parent message id, when it holds.
	parent string
	// err refuses the exchange: a token that does not hold, or a business
	// time that differs from the token's (a *field.Error).
	err error
}

// nestedCall checks req's context token, if any, for the caller. It is
// computed once per exchange, before admit, because a refused exchange is
// still counted at the business time it was allowed.
func (h *Hub) nestedCall(ctx context.Context, req *hubv1.ExchangeRequest) nested {
	n := nested{trusted: maySetBusinessTime(ctx), businessTime: req.GetBusinessTime()}
	token := req.GetContextToken()
	if token == "" {
		return n
	}
	caller, _ := h.consumer(ctx, req.GetConsumer()) // a bad caller is refused by admit
	c, err := h.nest.verifier.Verify(token, caller, time.Now())
	if err != nil {
		n.err = field.Wrap("context_token", err)
		return n
	}
	bt := timestamppb.New(c.BusinessTime)
	if n.businessTime != nil && !n.businessTime.AsTime().Equal(c.BusinessTime) {
		n.err = field.Errorf("business_time", "is %s but the context token of exchange %s carries %s: leave it empty or set it to the token's",
			n.businessTime.AsTime().Format(time.RFC3339Nano), c.Parent, c.BusinessTime.Format(time.RFC3339Nano))
		return n
	}
	n.trusted, n.businessTime, n.parent = true, bt, c.Parent
	return n
}

// token is the context token for an exchange sent to provider; empty (and
// logged) if it cannot be signed, the provider's nested exchanges are
// then counted on the day they arrive.
func (h *Hub) token(tx *hubv1.TransactionRecord) string {
	t, err := h.nest.issuer.Issue(tx.MessageId, tx.Consumer, tx.Provider, tx.BusinessTime.AsTime(), time.Now())
	if err != nil {
		h.log.Warn("context token not issued", zap.String("msg_id", tx.MessageId), zap.Error(err))
	}
	return t
}
