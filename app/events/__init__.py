"""Domain events: the transactional outbox, its relay to the event bus, consumers, insights."""
