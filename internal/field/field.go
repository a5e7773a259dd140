// Package field reports invalid input by naming the field at fault. The
// gRPC edge maps an *Error to INVALID_ARGUMENT with that name in the
// message, so every layer can validate without knowing about gRPC.
package field

import (
	"errors"
	"fmt"
	"strings"
)

// Error is an invalid value of one named field.
type Error struct {
	// Field is the field's path in the request, e.g. "agency.services[2].code".
	Field string
	// Reason says what is wrong and what is expected.
	Reason string
}

// Error implements error: "invalid <field>: <reason>".
func (e *Error) Error() string { return "invalid " + e.Field + ": " + e.Reason }

// Errorf returns an *Error for name with a formatted reason.
func Errorf(name, format string, args ...any) error {
	return &Error{Field: name, Reason: fmt.Sprintf(format, args...)}
}

// Wrap returns err as an *Error for name, or nil if err is nil. An err that
// already is an *Error gets name prefixed to its field.
func Wrap(name string, err error) error {
	if err == nil {
		return nil
	}
	var fe *Error
	if errors.As(err, &fe) {
		return &Error{Field: name + "." + fe.Field, Reason: fe.Reason}
	}
	return &Error{Field: name, Reason: err.Error()}
}

// Parse reads back an error text of the form Error writes ("invalid
// <field>: <reason>"), as providers return it in their messages; ok is
// false for any other text.
func Parse(msg string) (e *Error, ok bool) {
	rest, found := strings.CutPrefix(msg, "invalid ")
	if !found {
		return nil, false
	}
	name, reason, found := strings.Cut(rest, ": ")
	if !found || name == "" || strings.ContainsAny(name, " \t") {
		return nil, false
	}
	return &Error{Field: name, Reason: reason}, true
}
