#!/bin/sh
# One Postgres, two databases: Dagster's storage and MLflow's backend store.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<SQL
CREATE DATABASE ${DAGSTER_POSTGRES_DB};
CREATE DATABASE ${MLFLOW_POSTGRES_DB};
SQL
