"""The business event series: events, registrations, waitlists and consultation slots."""
