#!/usr/bin/env bash
# Creates the per-service login roles with their own passwords (DB_PASSWORD_<NAME>,
# from followup-secrets) on the first boot of an empty data directory.
# common.migrate then sets their attributes and grants; it only sets passwords when
# given SERVICE_DB_PASSWORD (one for all roles), which this overlay does not use.
set -euo pipefail

for name in tasks triage workflows notifications orders gateway; do
  var="DB_PASSWORD_${name^^}"
  password="${!var:-}"
  if [ -z "$password" ]; then
    echo "init-roles: $var is not set" >&2
    exit 1
  fi
  # psql variables + format(%I, %L) quote the values; no string splicing into SQL.
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
       -v role="followup_${name}" -v pw="$password" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', :'role', :'pw')
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'role')
\gexec
SQL
done
