-- On the primary, when a change notification arrives (exporter/serve/changes.py): the
-- WAL position written so far, in bytes from 0/0. The notifying transaction committed
-- before its notification was delivered, so its commit record ends at or before it.
SELECT (pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint AS lsn
