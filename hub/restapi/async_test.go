package restapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/ndxp/ndxp/cmd/ndxp/platform/hubtest"
	"github.com/ndxp/ndxp/hub/events"
)

func get(env *hubtest.Env, path string, headers ...string) []string {
	var args []string
	for _, h := range headers {
		args = append(args, "-H", h)
	}
	return append(args, env.RESTURL()+path)
}

// TestRESTEventsAndDocumentsWithCurl: a system speaking HTTP publishes an
// event, sends a document, lists and takes its inbox and reports on a
// document with curl, through the same core as gRPC (the same checks,
// receipts and records).
func TestRESTEventsAndDocumentsWithCurl(t *testing.T) {
	env := hubtest.Start(t, hubtest.WithoutPopulation())
	const h01 = "000.00.00.H01"
	h29 := "Ndxp-Consumer: " + consumer
	asH01 := "Ndxp-Consumer: " + h01

	t.Run("an event is published from its JSON payload", func(t *testing.T) {
		r := curl(t, post(env, nil, "/r1/events/"+events.TypeBirthRegistered,
			`{"registrationRef": "KS-079-2026-000001", "childName": "Nguyễn Văn An", "dateOfBirth": "2026-12-01", "provinceCode": "079"}`,
			"Ndxp-Consumer: "+events.CivilRegistry, "Ndxp-Message-Id: ev-rest-1")...)
		var got struct {
			EventID  string `json:"eventId"`
			Sequence string `json:"sequence"`
		}
		r.decode(t, &got)
		if r.status != http.StatusCreated || got.EventID != "ev-rest-1" || got.Sequence == "" {
			t.Fatalf("status %d: %s", r.status, r.body)
		}
	})
	docBody := `{"documentId": "cv-rest-1", "recipients": ["` + h01 + `"], "documentNumber": "76/BC-BTTTT", "documentType": "báo cáo", "subject": "Báo cáo tháng 8", "content": "S8OtbmggZ+G7rWkgLi4u"}`
	refused := []struct {
		name, field, code string
		status            int
		args              []string
	}{
		{"an unknown event type", "", "NOT_FOUND", 404, post(env, nil, "/r1/events/no-such-type", `{}`, h29, "Ndxp-Message-Id: ev-2")},
		{"an event of another publisher", "", "PERMISSION_DENIED", 403, post(env, nil, "/r1/events/"+events.TypeBirthRegistered, `{}`, h29, "Ndxp-Message-Id: ev-3")},
		{"an event body of the wrong shape", "body", "INVALID_ARGUMENT", 400, post(env, nil, "/r1/events/"+events.TypeBirthRegistered, `{"nope": 1}`, "Ndxp-Consumer: "+events.CivilRegistry, "Ndxp-Message-Id: ev-4")},
		{"a document without recipients", "envelope.recipients", "INVALID_ARGUMENT", 400, post(env, nil, "/r1/documents", strings.Replace(docBody, `"`+h01+`"`, "", 1), h29)},
		{"an inbox max too large", "max", "INVALID_ARGUMENT", 400, get(env, "/r1/documents/inbox?max=5000", asH01)},
	}
	for _, tt := range refused {
		t.Run(tt.name+" is refused", func(t *testing.T) {
			r := curl(t, tt.args...)
			if r.status != tt.status || !strings.Contains(string(r.body), tt.code) || !strings.Contains(string(r.body), tt.field) {
				t.Fatalf("status %d: %s, want %d %s naming %q", r.status, r.body, tt.status, tt.code, tt.field)
			}
		})
	}

	if r := curl(t, post(env, nil, "/r1/documents", docBody, h29)...); r.status != http.StatusCreated || r.header.Get("Location") != "/r1/documents/"+consumer+"/cv-rest-1" {
		t.Fatalf("send document: status %d %v: %s", r.status, r.header, r.body)
	}
	var inbox struct {
		Documents []struct {
			Envelope struct {
				DocumentID string `json:"documentId"`
				Sender     string `json:"sender"`
			} `json:"envelope"`
			Sequence string `json:"sequence"`
		} `json:"documents"`
	}
	r := curl(t, get(env, "/r1/documents/inbox", asH01)...)
	r.decode(t, &inbox)
	if r.status != http.StatusOK || len(inbox.Documents) != 1 || inbox.Documents[0].Envelope.DocumentID != "cv-rest-1" || inbox.Documents[0].Envelope.Sender != consumer {
		t.Fatalf("inbox: status %d: %s", r.status, r.body)
	}
	seq := inbox.Documents[0].Sequence
	if r := curl(t, append([]string{"-X", "POST"}, get(env, "/r1/documents/inbox/"+seq+"/ack", asH01)...)...); r.status != http.StatusOK {
		t.Fatalf("take %s: status %d: %s", seq, r.status, r.body)
	}
	if r := curl(t, append([]string{"-X", "POST"}, get(env, "/r1/documents/inbox/"+seq+"/ack", asH01)...)...); r.status != http.StatusBadRequest || !strings.Contains(string(r.body), "FAILED_PRECONDITION") {
		t.Fatalf("take %s again: status %d: %s, want 400 FAILED_PRECONDITION", seq, r.status, r.body)
	}
	if r := curl(t, get(env, "/r1/documents/inbox", asH01)...); r.status != http.StatusOK || strings.TrimSpace(string(r.body)) != `{"documents":[]}` {
		t.Fatalf("inbox after the take: status %d: %s", r.status, r.body)
	}
	if r := curl(t, post(env, nil, "/r1/documents/"+consumer+"/cv-rest-1/receipts", `{"status": "RECEIPT_STATUS_DONE"}`, asH01)...); r.status != http.StatusOK {
		t.Fatalf("receipt: status %d: %s", r.status, r.body)
	}
	r = curl(t, get(env, "/r1/documents/"+consumer+"/cv-rest-1", h29)...)
	if r.status != http.StatusOK || !strings.Contains(string(r.body), "RECEIPT_STATUS_RECEIVED") || !strings.Contains(string(r.body), "RECEIPT_STATUS_DONE") {
		t.Fatalf("document: status %d: %s", r.status, r.body)
	}
}
