package basic

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	"github.com/ndxp/ndxp/adapters/node"
	"github.com/ndxp/ndxp/adapters/population/synth"
	"github.com/ndxp/ndxp/internal/vn"
	businessv1 "github.com/ndxp/ndxp/proto/ndxp/business/v1"
	documentv1 "github.com/ndxp/ndxp/proto/ndxp/document/v1"
	genericv1 "github.com/ndxp/ndxp/proto/ndxp/generic/v1"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
	landv1 "github.com/ndxp/ndxp/proto/ndxp/land/v1"
	officialsv1 "github.com/ndxp/ndxp/proto/ndxp/officials/v1"
	portalv1 "github.com/ndxp/ndxp/proto/ndxp/portal/v1"
	reportingv1 "github.com/ndxp/ndxp/proto/ndxp/reporting/v1"
)

// maxDocument bounds a document's content, as the hub's inboxes do.
const maxDocument = 1 << 20

// What "document-send" answers.
const (
	// DefaultDocumentType is the type of a document sent without one.
	DefaultDocumentType = "công văn"
	// StatusStored: the document is in the recipient's inbox.
	StatusStored = "stored"
	// StatusDuplicate: a document with this id was stored before.
	StatusDuplicate = "duplicate"
)

var kinds = map[string][]endpoint{
	KindLand: {{code: "parcel-lookup", desc: "Look up a land parcel in the national land database.",
		req: &landv1.LookupParcelRequest{}, resp: &landv1.LookupParcelResponse{}, h: parcel}},
	KindBusinessRegistration: {{code: "enterprise-lookup", desc: "Look up a registered enterprise by enterprise code.",
		req: &businessv1.LookupEnterpriseRequest{}, resp: &businessv1.LookupEnterpriseResponse{}, h: enterprise}},
	KindOfficials: {{code: "official-lookup", desc: "Look up an official or civil servant.", personal: true,
		req: &officialsv1.LookupOfficialRequest{}, resp: &officialsv1.LookupOfficialResponse{}, h: official}},
	KindDocumentExchange: {{code: "document-send", desc: "Send an official document to another agency (store and forward).",
		req: &documentv1.SendDocumentRequest{}, resp: &documentv1.SendDocumentResponse{}, hc: document}},
	KindPublicServicePortal: {{code: "dossier-sync", desc: "Report the status of an administrative-procedure dossier to the portal.",
		req: &portalv1.SyncDossierRequest{}, resp: &portalv1.SyncDossierResponse{}, h: dossier}},
	KindReporting: {{code: "report-submit", desc: "Submit a periodic report to the national reporting system.",
		req: &reportingv1.SubmitReportRequest{}, resp: &reportingv1.SubmitReportResponse{}, h: report}},
	KindGeneric: {
		{code: "ping", desc: "Answer a ping.", req: &genericv1.PingRequest{}, resp: &genericv1.PingResponse{}, h: ping},
		{code: "status", desc: "Report the system's status.", req: &genericv1.StatusRequest{}, resp: &genericv1.StatusResponse{}, h: status},
	},
}

func decode[T proto.Message](req *node.Request, m T) (T, error) { return m, req.Decode(m) }

func parcel(_ *Simulator, req *node.Request) (proto.Message, error) {
	in, err := decode(req, &landv1.LookupParcelRequest{})
	if err != nil {
		return nil, err
	}
	if vn.ProvinceByCode(in.GetProvinceCode()) == nil {
		return nil, node.Errorf(codes.InvalidArgument, "invalid province_code %q: want a 3-digit province code such as \"001\"", in.GetProvinceCode())
	}
	if in.GetSheet() <= 0 || in.GetNumber() <= 0 {
		return nil, node.Errorf(codes.InvalidArgument, "sheet and number must be positive, got sheet %d number %d", in.GetSheet(), in.GetNumber())
	}
	v := hash(in.GetProvinceCode(), in.GetSheet(), in.GetNumber())
	pop := synth.Population{Seed: v}
	return &landv1.LookupParcelResponse{
		ParcelId: fmt.Sprintf("%s-%d-%d", in.GetProvinceCode(), in.GetSheet(), in.GetNumber()),
		AreaM2:   float64(40 + v%2000), LandUse: []string{"ODT", "ONT", "LUC", "CLN"}[v>>16%4],
		OwnerPersonalId: pop.Sample(randFrom(v)),
	}, nil
}

func enterprise(_ *Simulator, req *node.Request) (proto.Message, error) {
	in, err := decode(req, &businessv1.LookupEnterpriseRequest{})
	if err != nil {
		return nil, err
	}
	c := in.GetEnterpriseCode()
	if (len(c) != 10 && len(c) != 13) || strings.Trim(c, "0123456789") != "" {
		return nil, node.Errorf(codes.InvalidArgument, "invalid enterprise_code %q: want 10 digits (13 for a branch)", c)
	}
	if strings.HasPrefix(c, "0000") {
		return nil, node.Errorf(codes.NotFound, "no enterprise with code %s", c)
	}
	v := hash(c)
	return &businessv1.LookupEnterpriseResponse{
		EnterpriseCode: c, Name: fmt.Sprintf("Công ty TNHH %s %d", []string{"Thương mại", "Xây dựng", "Công nghệ", "Dịch vụ"}[v>>8%4], v>>16%1000),
		Status:       []string{"active", "active", "active", "suspended", "dissolved"}[v>>24%5],
		RegisteredOn: time.Date(1995+int(v>>32%30), time.Month(1+v>>40%12), 1+int(v>>48%28), 0, 0, 0, 0, time.UTC).Format(time.DateOnly),
	}, nil
}

func official(_ *Simulator, req *node.Request) (proto.Message, error) {
	in, err := decode(req, &officialsv1.LookupOfficialRequest{})
	if err != nil {
		return nil, err
	}
	if err := synth.Validate(in.GetPersonalId()); err != nil {
		return nil, node.Errorf(codes.InvalidArgument, "invalid personal_id: %v", err)
	}
	v := hash(in.GetPersonalId())
	if v%5 != 0 {
		return &officialsv1.LookupOfficialResponse{}, nil
	}
	p := vn.Provinces[v>>8%uint64(len(vn.Provinces))]
	return &officialsv1.LookupOfficialResponse{
		IsOfficial: true, AgencyCode: p.AgencyCode,
		Position: []string{"Chuyên viên", "Phó Trưởng phòng", "Trưởng phòng"}[v>>16%3],
		Grade:    []string{"chuyên viên", "chuyên viên chính", "chuyên viên cao cấp"}[v>>24%3],
	}, nil
}

// document forwards a "document-send" into the recipient's inbox on the
// hub (DocumentService), for the exchange's consumer: the recipient's
// document system receives it and the consumer follows its receipts under
// the tracking id, which is the document id (the exchange's message id, so
// a retried exchange stores the document once).
func document(ctx context.Context, c *node.Client, req *node.Request) (proto.Message, error) {
	in, err := decode(req, &documentv1.SendDocumentRequest{})
	if err != nil {
		return nil, err
	}
	switch {
	case in.GetRecipientCode() == "":
		return nil, node.Errorf(codes.InvalidArgument, "recipient_code is required")
	case in.GetDocumentNumber() == "":
		return nil, node.Errorf(codes.InvalidArgument, "document_number is required")
	case in.GetSubject() == "":
		return nil, node.Errorf(codes.InvalidArgument, "subject is required")
	case len(in.GetContent()) > maxDocument:
		return nil, node.Errorf(codes.InvalidArgument, "content is %d bytes, more than %d", len(in.GetContent()), maxDocument)
	}
	documentType := in.GetDocumentType()
	if documentType == "" {
		documentType = DefaultDocumentType
	}
	duplicate, err := c.ForwardDocument(ctx, &hubv1.DocumentEnvelope{
		DocumentId: req.MessageID, Sender: req.Consumer, Recipients: []string{in.GetRecipientCode()},
		DocumentNumber: in.GetDocumentNumber(), DocumentType: documentType, Subject: in.GetSubject(), Content: in.GetContent(),
	})
	switch {
	case errors.Is(err, node.ErrNoExchange), errors.Is(err, node.ErrNoHub):
		return nil, node.Errorf(codes.Unavailable, "the axis cannot forward document %s now: %v", req.MessageID, err)
	case err != nil:
		return nil, err
	}
	st := StatusStored
	if duplicate {
		st = StatusDuplicate
	}
	return &documentv1.SendDocumentResponse{TrackingId: req.MessageID, Status: st}, nil
}

func dossier(_ *Simulator, req *node.Request) (proto.Message, error) {
	in, err := decode(req, &portalv1.SyncDossierRequest{})
	if err != nil {
		return nil, err
	}
	for _, f := range [][2]string{{"dossier_id", in.GetDossierId()}, {"procedure_code", in.GetProcedureCode()}, {"status", in.GetStatus()}} {
		if f[1] == "" {
			return nil, node.Errorf(codes.InvalidArgument, "%s is required", f[0])
		}
	}
	return &portalv1.SyncDossierResponse{Accepted: true}, nil
}

func report(s *Simulator, req *node.Request) (proto.Message, error) {
	in, err := decode(req, &reportingv1.SubmitReportRequest{})
	if err != nil {
		return nil, err
	}
	if in.GetReportCode() == "" {
		return nil, node.Errorf(codes.InvalidArgument, "report_code is required")
	}
	if _, err := vn.ParseMonth(in.GetPeriod()); err != nil {
		return nil, node.Errorf(codes.InvalidArgument, "invalid period %q: want YYYY-MM", in.GetPeriod())
	}
	return &reportingv1.SubmitReportResponse{ReceiptId: fmt.Sprintf("BC-%s-%06d", in.GetPeriod(), s.next())}, nil
}

func ping(s *Simulator, req *node.Request) (proto.Message, error) {
	in, err := decode(req, &genericv1.PingRequest{})
	if err != nil {
		return nil, err
	}
	if len(in.GetText()) > 1024 {
		return nil, node.Errorf(codes.InvalidArgument, "text is %d bytes, more than 1024", len(in.GetText()))
	}
	return &genericv1.PingResponse{Text: in.GetText(), AgencyCode: s.agency.GetCode()}, nil
}

func status(s *Simulator, req *node.Request) (proto.Message, error) {
	if _, err := decode(req, &genericv1.StatusRequest{}); err != nil {
		return nil, err
	}
	return &genericv1.StatusResponse{AgencyCode: s.agency.GetCode(), Status: "ok"}, nil
}
