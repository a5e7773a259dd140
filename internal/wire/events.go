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

// DocumentPrefix starts every subject of the document inboxes.
const DocumentPrefix = "ndxp.doc"

// DocumentSubject is the subject of sender's documents in recipient's
// inbox.
func DocumentSubject(recipient, sender string) (string, error) {
	if err := ValidateAgencyCode(recipient); err != nil {
		return "", err
	}
	if err := ValidateAgencyCode(sender); err != nil {
		return "", err
	}
	return DocumentPrefix + "." + Token(recipient) + "." + Token(sender), nil
}

// DocumentInbox is the subject filter of recipient's inbox.
func DocumentInbox(recipient string) string { return DocumentPrefix + "." + Token(recipient) + ".>" }
