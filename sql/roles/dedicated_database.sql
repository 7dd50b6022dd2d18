-- For a database that holds only the platform's data and the exporter (docker-compose):
-- no temporary tables for roles that were not given them. PostgreSQL grants TEMPORARY
-- on every database to PUBLIC, and a privilege of PUBLIC cannot be denied to a single
-- role, so this revokes it from PUBLIC and gives it back to the migrating role alone.
-- Not run by `migrate`: on a shared database other applications may need temp tables.
-- Run it as the database's owner: psql -v ON_ERROR_STOP=1 -f dedicated_database.sql
DO $$
BEGIN
    EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
    EXECUTE format('GRANT TEMPORARY ON DATABASE %I TO %I', current_database(), current_user);
END
$$;
