package wire

import "google.golang.org/genproto/googleapis/rpc/code"

// CodeName is the canonical name of a gRPC code number, as google.rpc.Code
// and gRPC's own metrics (grpc_code) spell it: "NOT_FOUND" for 5,
// "CANCELLED" for 1; "UNKNOWN" for a number gRPC does not define.
// Counters, records, the audit chain and REST errors all spell outcomes
// with it.
func CodeName(c int32) string {
	if name, ok := code.Code_name[c]; ok {
		return name
	}
	return "UNKNOWN"
}

// CodeOf is the number of a canonical code name, and false for a name
// that is not one.
func CodeOf(name string) (int32, bool) {
	c, ok := code.Code_value[name]
	return c, ok
}
