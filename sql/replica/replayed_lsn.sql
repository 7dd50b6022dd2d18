-- On the hot standby: the WAL position replayed so far, in bytes from 0/0 (NULL when the
-- server is no longer in recovery). A snapshot taken once it reaches the primary's
-- position at a notification sees the notifying commit.
SELECT (pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::bigint AS lsn
