package grpcapi

import (
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/status"

	"github.com/ndxp/ndxp/hub"
	"github.com/ndxp/ndxp/internal/field"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
)

// toStatus converts any error of the hub into a gRPC status error: the
// code of the core's one table (hub.Code) and the text a caller sees
// (hub.Message). An invalid field (field.Error, field.Errors) becomes
// INVALID_ARGUMENT with a google.rpc.BadRequest detail naming each field
// at fault, so that a client can point at the field without parsing the
// message. A status error (a stream's own) is returned as it is.
func toStatus(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	st := status.New(hub.Code(err), hub.Message(err))
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
	e := &hubv1.Error{Code: int32(hub.Code(err)), Message: hub.Message(err)}
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
