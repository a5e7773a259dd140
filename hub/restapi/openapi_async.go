package restapi

import (
	"github.com/ndxp/ndxp/internal/wire"
)

// asyncPaths adds the events' and documents' operations (async.go).
func (s *schemas) asyncPaths(paths obj) {
	consumer := obj{"name": wire.HeaderConsumer, "in": "header", "required": false, "schema": obj{"type": "string"},
		"description": "the agency acting (publisher, sender or recipient): only the operator (or anyone on an insecure hub) names it; an agency is its certificate"}
	path := func(name, desc string) obj {
		return obj{"name": name, "in": "path", "required": true, "description": desc, "schema": obj{"type": "string"}}
	}
	answer := func(status, desc, typ string) obj {
		return withErrors(obj{status: obj{"description": desc + " (" + typ + ")", "content": s.content(typ)}})
	}
	paths["/r1/events/{type}"] = obj{"post": obj{
		"operationId": "publishEvent", "summary": "Publish an event of a declared type (e.g. birth-registered)",
		"description": "The body is the type's payload message in protobuf JSON form (ListEventTypes names it). Ndxp-Message-Id is the event id, required: a re-publish is stored once. Subscribers granted the type receive it over gRPC (EventService.Subscribe) or with POST /r1/events/{type}/fetch. The publisher's rate limit and daily quota apply.",
		"parameters": []obj{path("type", "the event type's code"), consumer,
			{"name": wire.HTTPHeaderMessageID, "in": "header", "required": true, "description": "the event id (at most 128 printable ASCII characters)", "schema": obj{"type": "string"}},
			{"name": HTTPHeaderOccurredAt, "in": "header", "required": false, "description": "when it happened (RFC 3339); default: when the hub receives it", "schema": obj{"type": "string"}}},
		"requestBody": obj{"required": true, "content": obj{"application/json": obj{"schema": obj{"type": "object"}}}},
		"responses":   answer("201", "stored for the subscribers", "ndxp.hub.v1.PublishResponse"),
	}}
	fetched := obj{"type": "object", "properties": obj{
		"event": s.ref("ndxp.hub.v1.Event"),
		"ack":   obj{"type": "string", "description": "the token that acknowledges this event (POST /r1/events/{type}/ack)"},
	}}
	paths["/r1/events/{type}/fetch"] = obj{"post": obj{
		"operationId": "fetchEvents", "summary": "Take the caller's waiting events of a type, oldest first, each with an ack token",
		"description": "The subscription without a stream: the same durable subscription as EventService.Subscribe (deny by default: the publisher's grant of the type). An event handed out is not handed out again for the ack wait (30 s by default); acknowledge it with its token, or it comes again. Every event comes at least once, in order.",
		"parameters": []obj{path("type", "the event type's code"), consumer,
			{"name": "max", "in": "query", "required": false, "description": "how many to take (default 10, at most 100)", "schema": obj{"type": "integer", "minimum": 1, "maximum": 100}},
			{"name": "wait", "in": "query", "required": false, "description": "how long to wait for a first event, e.g. 5s (default 0: only those waiting; at most 30s)", "schema": obj{"type": "string"}}},
		"responses": withErrors(obj{"200": obj{"description": "the events taken (maybe none)",
			"content": obj{"application/json": obj{"schema": obj{"type": "object", "properties": obj{"events": obj{"type": "array", "items": fetched}}}}}}}),
	}}
	paths["/r1/events/{type}/ack"] = obj{"post": obj{
		"operationId": "ackEvent", "summary": "Acknowledge an event taken: the hub records its delivery (one transaction) and it is not handed out again",
		"description": "Acknowledging it again is harmless: it is counted once. It may go to any hub.",
		"parameters":  []obj{path("type", "the event type's code"), consumer},
		"requestBody": obj{"required": true, "content": obj{"application/json": obj{"schema": obj{"type": "object", "required": []string{"ack"}, "properties": obj{"ack": obj{"type": "string"}}}}}},
		"responses":   answer("200", "the event acknowledged, without its payload", "ndxp.hub.v1.Event"),
	}}
	paths["/r1/documents"] = obj{"post": obj{
		"operationId": "sendDocument", "summary": "Send a document to the inboxes of its recipients (store and forward)",
		"description": "Each recipient must have granted \"documents\" to the sender (deny by default; ndxp up grants it between the topology's agencies). The sender's rate limit and daily quota apply. The same documentId sent again is stored once.",
		"parameters":  []obj{consumer},
		"requestBody": obj{"required": true, "content": s.content("ndxp.hub.v1.DocumentEnvelope")},
		"responses":   answer("201", "stored in every inbox; Location is the document", "ndxp.hub.v1.SendDocumentResponse"),
	}}
	paths["/r1/documents/inbox"] = obj{"get": obj{
		"operationId": "listInbox", "summary": "List the caller's inbox, oldest first, without taking the documents",
		"parameters": []obj{consumer,
			{"name": "from", "in": "query", "required": false, "description": "the first sequence to list (default 1)", "schema": obj{"type": "integer", "minimum": 1}},
			{"name": "max", "in": "query", "required": false, "description": "how many to list (default 10, at most 100)", "schema": obj{"type": "integer", "minimum": 1, "maximum": 100}}},
		"responses": withErrors(obj{"200": obj{"description": "the documents",
			"content": obj{"application/json": obj{"schema": obj{"type": "object", "properties": obj{"documents": obj{"type": "array", "items": s.ref("ndxp.hub.v1.ReceivedDocument")}}}}}}}),
	}}
	paths["/r1/documents/inbox/{sequence}/ack"] = obj{"post": obj{
		"operationId": "takeDocument", "summary": "Take a document of the inbox: the hub records it received (receipt RECEIVED) and removes it",
		"parameters": []obj{path("sequence", "the document's sequence, from the inbox"), consumer},
		"responses":  answer("200", "the envelope taken, without its content", "ndxp.hub.v1.DocumentEnvelope"),
	}}
	paths["/r1/documents/{sender}/{id}"] = obj{"get": obj{
		"operationId": "getDocument", "summary": "A document's envelope and receipts, for its sender or a recipient",
		"parameters": []obj{path("sender", "the sender's agency code"), path("id", "the document id"), consumer},
		"responses":  answer("200", "the document", "ndxp.hub.v1.GetDocumentResponse"),
	}}
	paths["/r1/documents/{sender}/{id}/receipts"] = obj{"post": obj{
		"operationId": "sendReceipt", "summary": "Report on a document received: RECEIPT_STATUS_PROCESSING, _DONE or _REJECTED (with a reason)",
		"parameters":  []obj{path("sender", "the sender's agency code"), path("id", "the document id"), consumer},
		"requestBody": obj{"required": true, "content": s.content("ndxp.hub.v1.SendReceiptRequest")},
		"responses":   answer("200", "the receipt stored", "ndxp.hub.v1.SendReceiptResponse"),
	}}
}
