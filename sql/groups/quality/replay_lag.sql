-- How far the database the groups read is behind its primary, when it is a hot standby
-- (no row on a primary). 0 while it has replayed all the WAL it received; else the wall
-- time since the last transaction it replayed. The one statement of the exporter that
-- reads the wall clock (clock_timestamp()), not T: the lag is a fact of now, the same
-- at every instant of a pass.
SELECT i.n,
       CASE
           WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
           ELSE greatest(0, extract(epoch FROM clock_timestamp() - pg_last_xact_replay_timestamp()))
       END::double precision AS replay_lag_seconds
FROM unnest(%(n)s::integer[]) AS i (n)
WHERE pg_is_in_recovery()
ORDER BY i.n;
