#!/bin/sh
# One database and one login role per service, created on PostgreSQL's first start (the postgres
# image runs /docker-entrypoint-initdb.d/* once, on an empty data directory). A service's role owns
# its database and cannot connect to the others': each service keeps to its own tables.
# Each role's password comes from the secret file /run/secrets/<service>_db_password (compose
# `secrets:`), or else from the variable <SERVICE>_DB_PASSWORD (a run by hand).
# Re-running it is safe: it creates what is missing and (re)sets the passwords, so it can also be
# run by hand after adding a service or rotating a password:
#   docker compose exec postgres sh /docker-entrypoint-initdb.d/10-hallobot-databases.sh
set -eu

secrets_dir="${HALLOBOT_SECRETS_DIR:-/run/secrets}"
for service in directory events wifi notifications; do
  var="$(echo "$service" | tr '[:lower:]' '[:upper:]')_DB_PASSWORD"
  if [ -r "$secrets_dir/${service}_db_password" ]; then
    password="$(cat "$secrets_dir/${service}_db_password")"
  else
    password="$(printenv "$var" || true)"
  fi
  if [ -z "$password" ]; then
    echo "init-databases: no password for $service: $secrets_dir/${service}_db_password is missing or empty, and $var is not set" >&2
    exit 1
  fi
  psql -v ON_ERROR_STOP=1 --no-psqlrc --username "${POSTGRES_USER:-postgres}" --dbname "${POSTGRES_DB:-postgres}" \
       -v service="$service" -v password="$password" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN', :'service')
  WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'service') \gexec
ALTER ROLE :"service" WITH LOGIN PASSWORD :'password';
SELECT format('CREATE DATABASE %I OWNER %I', :'service', :'service')
  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'service') \gexec
REVOKE ALL ON DATABASE :"service" FROM PUBLIC;
GRANT ALL ON DATABASE :"service" TO :"service";
SQL
done
