package population

import (
	"context"
	"fmt"

	"google.golang.org/grpc/codes"

	"github.com/ndxp/ndxp/adapters/node"
	eventsv1 "github.com/ndxp/ndxp/proto/ndxp/events/v1"
	hubv1 "github.com/ndxp/ndxp/proto/ndxp/hub/v1"
	populationv1 "github.com/ndxp/ndxp/proto/ndxp/population/v1"
)

// Event types this simulator takes part in (declared in hub/events).
const (
	EventBirthRegistered = "birth-registered"
	EventPIDIssued       = "pid-issued"
	EventDeathRegistered = "death-registered"
	EventPIDCancelled    = "pid-cancelled"
)

// react subscribes n to births and deaths. Each birth registered gets the
// child's personal ID number, as pid-issue would issue it, published as
// pid-issued (event id: the birth record's reference, so a birth event
// delivered twice issues one number and publishes it once). Each death
// registered cancels the deceased's number, as pid-cancel would, published
// as pid-cancelled (FACTS.md: numbers are issued and cancelled on births
// and deaths).
func (s *Simulator) react(n *node.Node) {
	c := n.Client()
	code := n.Agency().GetCode()
	n.OnEvent(EventBirthRegistered, func(ctx context.Context, ev *hubv1.Event) error {
		in := &eventsv1.BirthRegistered{}
		if err := ev.GetPayload().UnmarshalTo(in); err != nil {
			return nil // not a birth this simulator can read: nothing to do, and it would never be
		}
		out, err := s.issueOnce(ctx, code, in)
		if err != nil {
			return nil // refused (e.g. an invalid date): nothing to publish; the procedure shows it pending
		}
		head := in.GetFatherPersonalId()
		if head == "" {
			head = in.GetMotherPersonalId()
		}
		return c.Publish(ctx, EventPIDIssued, in.GetRegistrationRef(), &eventsv1.PersonalIdIssued{
			PersonalId: out.GetPersonalId(), FullName: in.GetChildName(), DateOfBirth: in.GetDateOfBirth(),
			BirthRegistrationRef: in.GetRegistrationRef(), DossierId: in.GetDossierId(), ProvinceCode: in.GetProvinceCode(), HeadPersonalId: head,
		}, ev.GetOccurredAt().AsTime())
	})
	n.OnEvent(EventDeathRegistered, func(ctx context.Context, ev *hubv1.Event) error {
		in := &eventsv1.DeathRegistered{}
		if err := ev.GetPayload().UnmarshalTo(in); err != nil {
			return nil
		}
		reason := "death: " + in.GetRegistrationRef()
		req, err := node.LocalRequest(code, ServicePIDCancel, "evt:"+in.GetRegistrationRef(), &populationv1.CancelPersonalIdRequest{PersonalId: in.GetPersonalId(), Reason: reason})
		if err != nil {
			return err
		}
		if _, err := s.cancel(ctx, req); err != nil {
			if e, ok := err.(*node.Error); !ok || e.Code != codes.FailedPrecondition {
				return nil // not a number of this database: nothing to cancel or publish
			} // already cancelled (a redelivery): publish again, stored once
		}
		return c.Publish(ctx, EventPIDCancelled, in.GetRegistrationRef(), &eventsv1.PersonalIdCancelled{
			PersonalId: in.GetPersonalId(), Reason: reason, DossierId: in.GetDossierId(),
		}, ev.GetOccurredAt().AsTime())
	})
}

// issueOnce issues the number of the child of birth, or returns the one
// already issued for that birth record.
func (s *Simulator) issueOnce(ctx context.Context, code string, birth *eventsv1.BirthRegistered) (*populationv1.IssuePersonalIdResponse, error) {
	s.st.mu.Lock()
	if id, ok := s.st.byBirth[birth.GetRegistrationRef()]; ok {
		s.st.mu.Unlock()
		return &populationv1.IssuePersonalIdResponse{PersonalId: id}, nil
	}
	s.st.mu.Unlock()
	req, err := node.LocalRequest(code, ServicePIDIssue, "evt:"+birth.GetRegistrationRef(), &populationv1.IssuePersonalIdRequest{
		FullName: birth.GetChildName(), DateOfBirth: birth.GetDateOfBirth(), Sex: birth.GetSex(), BirthProvinceCode: birth.GetProvinceCode(),
		FatherName: birth.GetFatherName(), MotherName: birth.GetMotherName(), BirthRegistrationRef: birth.GetRegistrationRef(),
	})
	if err != nil {
		return nil, err
	}
	m, err := s.issue(ctx, req)
	if err != nil {
		return nil, err
	}
	out, ok := m.(*populationv1.IssuePersonalIdResponse)
	if !ok {
		return nil, fmt.Errorf("population: pid-issue answered %T", m)
	}
	s.st.mu.Lock()
	s.st.byBirth[birth.GetRegistrationRef()] = out.GetPersonalId()
	s.st.mu.Unlock()
	return out, nil
}
