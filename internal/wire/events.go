package wire

// EventPrefix starts every subject of the event stream.
const EventPrefix = "ndxp.evt"

// EventSubject is the subject publisher's events of type are stored on.
func EventSubject(publisher, eventType string) (string, error) {
	if err := ValidateAgencyCode(publisher); err != nil {
		return "", err
	}
	if err := ValidateServiceCode(eventType); err != nil {
		return "", err
	}
	return EventPrefix + "." + Token(publisher) + "." + eventType, nil
}
