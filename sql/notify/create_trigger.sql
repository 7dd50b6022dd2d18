-- One statement-level trigger on a source table: after any INSERT, UPDATE, DELETE or
-- TRUNCATE, notify_source_change() (sql/migrations/V030) names the table on the
-- channel execmetrics_changes. Composed with psycopg.sql: {trigger}, {table} and
-- {function} are quoted identifiers.
CREATE TRIGGER {trigger}
AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}
FOR EACH STATEMENT
EXECUTE FUNCTION {function}()
