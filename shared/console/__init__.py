"""The office's console: who an operator is (accounts live in notifications), what each role may
do (roles.py), how every service recognises a credential (credentials.py, access.py) and who made a
change (actor.py). docs/architecture.md, "Roles and credentials"."""
