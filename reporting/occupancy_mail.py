"""The weekday occupancy mail to the municipalities' contacts, through the outbox."""
