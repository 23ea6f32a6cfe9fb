#!/bin/sh
# Creates Temporal's databases on first start and brings their schemas to the
# version the admin-tools image ships, with the server's own schema tool.
# Safe to rerun: an existing database is kept and only upgraded.
set -eu

sql() { temporal-sql-tool --plugin "$DB" --ep "$POSTGRES_SEEDS" -p "$DB_PORT" -u "$POSTGRES_USER" "$@"; }

for db in temporal temporal_visibility; do
  case $db in
    temporal) dir=temporal ;;
    *) dir=visibility ;;
  esac
  sql --db "$db" create || echo "database $db exists"
  # setup-schema -v 0.0 only creates the version table; it is a no-op on a
  # database that already has one.
  sql --db "$db" setup-schema -v 0.0 || echo "database $db has a schema version"
  sql --db "$db" update-schema -d "/etc/temporal/schema/postgresql/v12/$dir/versioned"
done
