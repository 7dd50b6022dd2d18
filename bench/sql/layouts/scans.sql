-- Scans so far of each partition of the partitioned layout's event tables (the
-- statistics of finished transactions; a backend flushes them within a second of idle).
SELECT s.relname, s.seq_scan + coalesce(s.idx_scan, 0) AS scans
FROM pg_stat_user_tables AS s
JOIN pg_inherits AS i ON i.inhrelid = s.relid
WHERE s.schemaname = 'bench_parted'
ORDER BY s.relname
