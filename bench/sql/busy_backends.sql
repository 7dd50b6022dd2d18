-- Other sessions of this database that started a statement since the given instant.
SELECT count(*) FROM pg_stat_activity
WHERE datname = current_database() AND pid <> pg_backend_pid()
  AND backend_type = 'client backend' AND state_change > %(since)s
