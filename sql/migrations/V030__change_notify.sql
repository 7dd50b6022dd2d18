-- The trigger function behind `execmetrics migrate --notify`: one notification on the
-- channel execmetrics_changes per statement that changes a source table, its payload
-- the table's name. PostgreSQL delivers it when the transaction commits and folds
-- identical notifications of one transaction into one, so a COPY of 10,000 rows, or a
-- transaction of many INSERTs into one table, is a single notification. The triggers
-- themselves are on the platform's tables and exist only where migrate --notify made
-- them (sql/notify/).
CREATE FUNCTION notify_source_change()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM pg_notify('execmetrics_changes', TG_TABLE_NAME);
    RETURN NULL;
END
$$;
