-- The monthly partitions that hold no row dropped (the default partitions stay): the
-- partitioned layout then has a partition per month of its history, as a platform's would.
DO $$
DECLARE
    part regclass;
    empty boolean;
BEGIN
    FOR part IN
        SELECT i.inhrelid::regclass
        FROM pg_inherits AS i
        JOIN pg_class AS c ON c.oid = i.inhrelid
        WHERE i.inhparent IN ('bench_parted.user_sessions'::regclass, 'bench_parted.invitations'::regclass)
          AND NOT c.relname LIKE '%\_default'
    LOOP
        EXECUTE format('SELECT NOT EXISTS (SELECT FROM %s)', part) INTO empty;
        IF empty THEN
            EXECUTE format('DROP TABLE %s', part);
        END IF;
    END LOOP;
END
$$;
