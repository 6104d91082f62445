#!/bin/sh
# Creates Temporal's two PostgreSQL databases and brings their schemas to
# the version of the server image (admin-tools ships the schema files of
# its own release under /etc/temporal/schema; TEMPORAL_SCHEMA_DIR points
# elsewhere, as where temporal-sql-tool is installed from the server's
# module). Safe to run again: create and update are idempotent.
set -eu
: "${POSTGRES_SEEDS:?}" "${POSTGRES_USER:?}" "${SQL_PASSWORD:?}"
port="${DB_PORT:-5432}"
schema="${TEMPORAL_SCHEMA_DIR:-/etc/temporal/schema}/postgresql/v12"
for db in temporal temporal_visibility; do
  dir=temporal
  [ "$db" = temporal_visibility ] && dir=visibility
  temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -u "$POSTGRES_USER" -p "$port" --db "$db" create || true
  temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -u "$POSTGRES_USER" -p "$port" --db "$db" setup-schema -v 0.0 || true
  temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -u "$POSTGRES_USER" -p "$port" --db "$db" update-schema -d "$schema/$dir/versioned"
done
echo "temporal schema ready"
