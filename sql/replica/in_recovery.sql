-- Whether this server is a hot standby replaying a primary's WAL (read-only).
SELECT pg_is_in_recovery();
