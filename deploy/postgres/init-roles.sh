#!/usr/bin/env bash
# Creates one login role per process (least privilege: a service can only reach
# what common.migrate grants its own role). Runs once, from the postgres image's
# /docker-entrypoint-initdb.d, on an empty data directory.
# Password per role: DB_PASSWORD_<NAME> if set, else FOLLOWUP_DB_PASSWORD.
# Keep in sync with deploy/k8s/overlays/local/postgres-init-roles.sh (check.sh diffs them).
set -euo pipefail

for name in tasks triage workflows notifications orders gateway; do
  var="DB_PASSWORD_${name^^}"
  password="${!var:-${FOLLOWUP_DB_PASSWORD:-}}"
  if [ -z "$password" ]; then
    echo "init-roles: no password for followup_${name} (set $var or FOLLOWUP_DB_PASSWORD)" >&2
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
