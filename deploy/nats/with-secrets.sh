#!/bin/sh
# Runs its arguments (nats-server …) with each secret file of /run/secrets as a variable of the same
# name upper-cased: /run/secrets/wifi_nats_password → WIFI_NATS_PASSWORD, which accounts.conf reads.
# nats-server's configuration reads variables but not files; this way the passwords are in the
# server's own process only, not in the container's configuration (`docker inspect`).
# An empty or unreadable secret stops the start with its name.
set -eu

secrets_dir="${HALLOBOT_SECRETS_DIR:-/run/secrets}"
for file in "$secrets_dir"/*; do
  [ -e "$file" ] || continue
  name="$(basename "$file" | tr '[:lower:]' '[:upper:]')"
  if [ ! -r "$file" ] || [ ! -s "$file" ]; then
    echo "with-secrets: $file ($name) is empty or unreadable: set $name in .env" >&2
    exit 1
  fi
  value="$(cat "$file")"
  export "$name=$value"
done
exec "$@"
