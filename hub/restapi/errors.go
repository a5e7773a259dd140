package restapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"

	"google.golang.org/grpc/codes"

	"github.com/ndxp/ndxp/hub"
	"github.com/ndxp/ndxp/internal/field"
	"github.com/ndxp/ndxp/internal/wire"
)

// Error is the JSON body of every error answer: the gRPC code's name (the
// one the same exchange gets over gRPC), its message, and the fields at
// fault.
type Error struct {
	// Status is the HTTP status (not in the body).
	Status int `json:"-"`
	// Code is the gRPC code name, e.g. "INVALID_ARGUMENT", "NOT_FOUND".
	Code string `json:"code"`
	// Message explains the failure; a provider's own message is passed
	// through unchanged.
	Message string `json:"message"`
	// Details name the request fields at fault, when the error names one.
	Details []FieldViolation `json:"details,omitempty"`
}

// FieldViolation is one field at fault, as in google.rpc.BadRequest.
type FieldViolation struct {
	// Field is the field's path, e.g. "personal_id", "body", "Ndxp-Purpose".
	Field string `json:"field"`
	// Description says what is wrong and what is expected.
	Description string `json:"description"`
}

// fromHub is the answer to an error of the hub's core: its gRPC code
// (hub.Code, the one table), the matching HTTP status and the field.
func fromHub(err error) *Error {
	c := hub.Code(err)
	e := &Error{Status: wire.HTTPStatus(c), Code: codeName(c), Message: hub.Message(err)}
	if errors.Is(err, hub.ErrPayloadTooLarge) {
		e.Status = http.StatusRequestEntityTooLarge
	}
	fields := field.All(err) // every field at fault, as the gRPC BadRequest detail lists them
	if len(fields) == 0 && c == codes.InvalidArgument {
		if fe, ok := field.Parse(e.Message); ok { // a provider's, in the same form
			fields = []*field.Error{fe}
		}
	}
	for _, fe := range fields {
		e.Details = append(e.Details, FieldViolation{Field: fe.Field, Description: fe.Reason})
	}
	return e
}

// codeName is the code's canonical upper-case name, e.g. "NOT_FOUND".
func codeName(c codes.Code) string { return wire.CodeName(int32(c)) }

func unauthenticated(msg string) *Error {
	return &Error{Status: http.StatusUnauthorized, Code: "UNAUTHENTICATED", Message: msg}
}

func errNotFound(r *http.Request) *Error {
	return &Error{Status: http.StatusNotFound, Code: "NOT_FOUND",
		Message: "restapi: no route " + r.Method + " " + r.URL.Path + "; exchanges are POST /r1/{provider}/{service}, the catalogue GET /r1/openapi.json"}
}

func writeError(w http.ResponseWriter, e *Error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // messages quote <agency> hints as written
	_ = enc.Encode(e)
	writeJSON(w, e.Status, bytes.TrimSuffix(b.Bytes(), []byte("\n")))
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(body)
	_, _ = w.Write([]byte("\n"))
}
