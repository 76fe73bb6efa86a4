"""Real servers for the tests: nats-server, PostgreSQL, SMTP (see tests/conftest.py)."""
