package hub

import (
	"context"
	"errors"

	"google.golang.org/grpc/codes"

	"github.com/ndxp/ndxp/hub/access"
	"github.com/ndxp/ndxp/hub/delivery"
	"github.com/ndxp/ndxp/hub/documents"
	"github.com/ndxp/ndxp/hub/events"
	"github.com/ndxp/ndxp/hub/registry"
	"github.com/ndxp/ndxp/hub/route"
	"github.com/ndxp/ndxp/hub/txlog"
	"github.com/ndxp/ndxp/internal/field"
	"github.com/ndxp/ndxp/internal/wire"
)

// Errors of the hub itself.
var (
	// ErrConsumerMismatch: the request names a consumer other than the
	// authenticated caller.
	ErrConsumerMismatch = errors.New("hub: consumer does not match the caller's identity")
	// ErrForbidden: the authenticated caller may not do this (act for
	// another agency, change another provider's grants).
	ErrForbidden = errors.New("hub: permission denied")
	// ErrNotAnAgency: the caller is authenticated but is neither an agency
	// nor the operator (a hub's identity), so it makes no exchanges.
	ErrNotAnAgency = errors.New("hub: only an agency can make exchanges")
	// ErrPayloadTooLarge: the payload exceeds Config.MaxPayload.
	ErrPayloadTooLarge = errors.New("hub: payload too large")
	// ErrNotRecorded: the transaction's record could not be stored, so
	// the hub does not report it as done.
	ErrNotRecorded = errors.New("hub: the transaction could not be recorded; retry with the same message_id")
	// ErrShuttingDown: the hub is stopping; watch again on another hub or
	// after the restart.
	ErrShuttingDown = errors.New("hub: shutting down")
)

// codeTable maps sentinel errors to gRPC codes, in order; the first match
// wins. It is the one place where domain errors become codes: a record
// stores its outcome as one.
var codeTable = []struct {
	err  error
	code codes.Code
}{
	{registry.ErrUnknownAgency, codes.NotFound},
	{registry.ErrUnknownService, codes.NotFound},
	{route.ErrNoNode, codes.Unavailable},
	{route.ErrTimeout, codes.DeadlineExceeded},
	{route.ErrCanceled, codes.Canceled},
	{route.ErrConnectionLost, codes.Unavailable},
	{ErrConsumerMismatch, codes.PermissionDenied},
	{ErrForbidden, codes.PermissionDenied},
	{access.ErrDenied, codes.PermissionDenied},
	{access.ErrUnknownGrant, codes.NotFound},
	{access.ErrTooManyGrants, codes.ResourceExhausted},
	{access.ErrStoreFull, codes.ResourceExhausted},
	{ErrNotAnAgency, codes.PermissionDenied},
	{ErrPayloadTooLarge, codes.ResourceExhausted},
	{ErrRateLimited, codes.ResourceExhausted},
	{ErrQuotaExceeded, codes.ResourceExhausted},
	{ErrQuotaUnavailable, codes.Unavailable},
	{ErrNotRecorded, codes.Unavailable},
	{ErrRecordPending, codes.Unavailable},
	{txlog.ErrIncomplete, codes.Unavailable},
	{ErrShuttingDown, codes.Unavailable},
	{ErrNATSLost, codes.Unavailable},
	{ErrRecordStoreFull, codes.Unavailable},
	{ErrMessageIDReused, codes.AlreadyExists},
	{delivery.ErrUnknown, codes.NotFound},
	{delivery.ErrNotStored, codes.Unavailable},
	{events.ErrUnknownType, codes.NotFound},
	{events.ErrNotPublisher, codes.PermissionDenied},
	{events.ErrNotStored, codes.Unavailable},
	{events.ErrNotPending, codes.FailedPrecondition},
	{documents.ErrNotStored, codes.Unavailable},
	{documents.ErrUnknown, codes.NotFound},
	{documents.ErrReceipt, codes.FailedPrecondition},
	{documents.ErrNotPending, codes.FailedPrecondition},
	{wire.ErrAgencyCode, codes.InvalidArgument},
	{wire.ErrServiceCode, codes.InvalidArgument},
	{context.DeadlineExceeded, codes.DeadlineExceeded},
	{context.Canceled, codes.Canceled},
}

// codeOf is the gRPC code an error maps to: records count outcomes by
// it, and every edge answers with it (hub/grpcapi as a status, hub/restapi
// with its HTTP status). An error that is not the hub's is INTERNAL.
func codeOf(err error) codes.Code {
	if err == nil {
		return codes.OK
	}
	var fe *field.Error
	if errors.As(err, &fe) {
		return codes.InvalidArgument
	}
	var pe *route.ProviderError
	if errors.As(err, &pe) {
		return codes.Code(pe.Code)
	}
	for _, e := range codeTable {
		if errors.Is(err, e.err) {
			return e.code
		}
	}
	return codes.Internal
}

// message is the text a caller sees for err: a provider's own message is
// passed through unchanged.
func message(err error) string {
	var pe *route.ProviderError
	if errors.As(err, &pe) {
		return pe.Message
	}
	return err.Error()
}
