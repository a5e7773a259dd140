package natsembed

import (
	"fmt"

	"github.com/nats-io/nats-server/v2/server"
)

// systemRequests are the system account's read-only server requests that
// the application account imports: server discovery ($SYS.REQ.SERVER.PING,
// `nats server ls`) and the monitoring reports, asked of every server
// ($SYS.REQ.SERVER.PING.<report>) or of one (…SERVER.<id>.<report>):
// `nats server info`, `nats server report jetstream` and the like. CONNZ
// is left out: every account already imports a CONNZ limited to its own
// connections. The requests that change a server (RELOAD, KICK, LDM) and
// the event streams stay in the system account.
var systemRequests = []string{"$SYS.REQ.SERVER.PING", "$SYS.REQ.SERVER.*.STATSZ", "$SYS.REQ.SERVER.*.VARZ",
	"$SYS.REQ.SERVER.*.SUBSZ", "$SYS.REQ.SERVER.*.ROUTEZ", "$SYS.REQ.SERVER.*.GATEWAYZ", "$SYS.REQ.SERVER.*.LEAFZ",
	"$SYS.REQ.SERVER.*.ACCOUNTZ", "$SYS.REQ.SERVER.*.JSZ", "$SYS.REQ.SERVER.*.HEALTHZ", "$SYS.REQ.SERVER.*.IDZ"}

// importSystemRequests lets the application account (where the hub, the
// operator and the agencies are) ask the system account's server
// requests, so the NATS tools work with the operator's certificate (or,
// insecure, without any): everyone else is kept out by permissions, as
// agencies may publish nothing but answers. Servers stream one answer
// each, so the exports are Streamed.
func importSystemRequests(s *server.Server) error {
	sys, app := s.SystemAccount(), s.GlobalAccount()
	if sys == nil || app == nil {
		return fmt.Errorf("natsembed: the server has no system account")
	}
	for _, subject := range systemRequests {
		if err := sys.AddServiceExportWithResponse(subject, server.Streamed, []*server.Account{app}); err != nil {
			return fmt.Errorf("natsembed: export %s from the system account: %w", subject, err)
		}
		if err := app.AddServiceImport(sys, subject, ""); err != nil {
			return fmt.Errorf("natsembed: import %s from the system account: %w", subject, err)
		}
	}
	return nil
}
