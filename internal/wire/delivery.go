package wire

// DeliveryPrefix starts every subject of the durable delivery stream.
const DeliveryPrefix = "ndxp.dlv"

// DeliverySubject is the subject a request for asynchronous delivery is
// stored under: ndxp.dlv.<provider token>.<service>. Only the hub publishes
// there; agency nodes have no access to JetStream.
func DeliverySubject(provider, service string) (string, error) {
	if err := ValidateAgencyCode(provider); err != nil {
		return "", err
	}
	if err := ValidateServiceCode(service); err != nil {
		return "", err
	}
	return DeliveryPrefix + "." + Token(provider) + "." + service, nil
}
