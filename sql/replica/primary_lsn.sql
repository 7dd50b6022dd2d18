-- On the primary, when a change notification arrives (exporter/serve/changes.py): where
-- the WAL ends so far, in bytes from 0/0. The notifying transaction committed before its
-- notification was delivered, so its commit record ends at or before this point, also
-- when it committed with synchronous_commit = off (the insert position, not the write
-- position, which an asynchronous commit may not have reached yet). Right after a page
-- or segment boundary the insert position skips the page header (24 or 40 bytes) that
-- no record has filled yet, and a standby that has replayed everything stops at the
-- boundary: the boundary is then the position to wait for.
SELECT CASE
         WHEN lsn % segment = 40 THEN lsn - 40
         WHEN lsn % block = 24 THEN lsn - 24
         ELSE lsn
       END AS lsn
FROM (
  SELECT (pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::bigint AS lsn,
         current_setting('wal_block_size')::bigint AS block,
         pg_size_bytes(current_setting('wal_segment_size')) AS segment
) AS wal
