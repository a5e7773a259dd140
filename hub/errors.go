package hub

import (
	"context"
	"errors"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ndxp/ndxp/hub/access"
	"github.com/ndxp/ndxp/hub/delivery"
	"github.com/ndxp/ndxp/hub/documents"
	"github.com/ndxp/ndxp/hub/events"
	"github.com/ndxp/ndxp/hub/registry"
	"github.com/ndxp/ndxp/hub/route"
	"github.com/ndxp/ndxp/hub/txlog"
	"github.com/ndxp/ndxp/internal/field"
	"github.com/ndxp/ndxp/internal/wire"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
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
// wins. It is the one place where domain errors become gRPC codes.
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

// toStatus converts any error of the hub into a gRPC status error. An
// invalid field (field.Error, field.Errors) becomes INVALID_ARGUMENT with
// a google.rpc.BadRequest detail naming each field at fault, so that a
// client can point at the field without parsing the message.
func toStatus(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	st := status.New(codeOf(err), message(err))
	if bad := badRequest(err); bad != nil {
		if withDetails, derr := st.WithDetails(bad); derr == nil {
			st = withDetails
		}
	}
	return st.Err()
}

// streamError is err as one result of the ExchangeStream: the code and
// message the unary path would return, and the invalid fields its
// BadRequest detail would name.
func streamError(err error) *hubv1.Error {
	e := &hubv1.Error{Code: int32(codeOf(err)), Message: message(err)}
	for _, fe := range field.All(err) {
		e.FieldViolations = append(e.FieldViolations, &hubv1.FieldViolation{Field: fe.Field, Description: fe.Reason})
	}
	return e
}

// badRequest is the google.rpc.BadRequest detail of err's invalid fields,
// or nil if it names none.
func badRequest(err error) *errdetails.BadRequest {
	fields := field.All(err)
	if len(fields) == 0 {
		return nil
	}
	bad := &errdetails.BadRequest{FieldViolations: make([]*errdetails.BadRequest_FieldViolation, len(fields))}
	for i, fe := range fields {
		bad.FieldViolations[i] = &errdetails.BadRequest_FieldViolation{Field: fe.Field, Description: fe.Reason}
	}
	return bad
}

// codeOf is the gRPC code an error maps to.
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
	if s, ok := status.FromError(err); ok {
		return s.Code()
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
