"""Fan-out of events to email, the web and other city systems."""
