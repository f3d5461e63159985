#!/usr/bin/env bash
# Start Debian's PostgreSQL on 127.0.0.1:5432 with the role the Postgres tests use
# (OGRINE_TEST_POSTGRES, default postgresql://ogrine:ogrine@127.0.0.1:5432/postgres).
# Idempotent: safe to run when the server is already up or the role exists.
set -euo pipefail

if ! command -v pg_lsclusters >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql
fi
read -r version cluster port status _ < <(pg_lsclusters --no-header | head -n 1)
if [[ "$port" != 5432 ]]; then
    echo "expected the cluster on port 5432, found $port" >&2
    exit 1
fi
if [[ "$status" != online* ]]; then
    pg_ctlcluster "$version" "$cluster" start
fi
for _ in $(seq 1 30); do
    pg_isready --host=127.0.0.1 --port=5432 --quiet && break
    sleep 1
done
pg_isready --host=127.0.0.1 --port=5432
su postgres -c "psql --quiet --no-psqlrc --set ON_ERROR_STOP=1" <<'SQL'
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'ogrine') THEN
        CREATE ROLE ogrine LOGIN CREATEDB PASSWORD 'ogrine';
    END IF;
END
$$;
SQL
