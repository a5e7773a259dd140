package insurance

import (
	"context"

	"google.golang.org/grpc/codes"

	"github.com/ndxp/ndxp/adapters/node"
	eventsv1 "github.com/ndxp/ndxp/proto/ndxp/events/v1"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
	insurancev1 "github.com/ndxp/ndxp/proto/ndxp/insurance/v1"
)

// Event types this simulator takes part in (declared in hub/events).
const (
	EventPIDIssued       = "pid-issued"
	EventChildCardIssued = "child-card-issued"
)

// react subscribes n to the numbers issued on births: the child gets its
// health insurance card, as child-card-issue would issue it, and the card
// is published as child-card-issued (event id: the birth record's
// reference). A number delivered twice finds its card and publishes it
// again, which the hub stores once.
func (s *Simulator) react(n *node.Node, c *node.Client) {
	code := n.Agency().GetCode()
	n.OnEvent(EventPIDIssued, func(ctx context.Context, ev *hubv1.Event) error {
		in := &eventsv1.PersonalIdIssued{}
		if err := ev.GetPayload().UnmarshalTo(in); err != nil || in.GetBirthRegistrationRef() == "" {
			return nil // not a birth: no card
		}
		card, ok := s.Card(in.GetPersonalId())
		if !ok {
			req, err := node.LocalRequest(code, ServiceChildCardIssue, "evt:"+in.GetBirthRegistrationRef(), &insurancev1.IssueChildCardRequest{
				PersonalId: in.GetPersonalId(), FullName: in.GetFullName(), DateOfBirth: in.GetDateOfBirth(), BirthRegistrationRef: in.GetBirthRegistrationRef(),
			})
			if err != nil {
				return err
			}
			m, err := s.issue(ctx, req)
			if e, refused := err.(*node.Error); refused && e.Code != codes.AlreadyExists {
				return nil // e.g. a child 6 or older: no card to publish
			} else if err != nil && !refused {
				return err
			}
			if out, ok := m.(*insurancev1.IssueChildCardResponse); ok {
				card = out.GetCard()
			} else if card, ok = s.Card(in.GetPersonalId()); !ok {
				return nil
			}
		}
		return c.Publish(ctx, EventChildCardIssued, in.GetBirthRegistrationRef(), &eventsv1.ChildCardIssued{
			PersonalId: in.GetPersonalId(), CardNumber: card.GetCardNumber(),
			BirthRegistrationRef: in.GetBirthRegistrationRef(), DossierId: in.GetDossierId(),
		}, ev.GetOccurredAt().AsTime())
	})
}
