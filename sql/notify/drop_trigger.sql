-- Remove the change trigger of migrate --notify from a source table (if it is there).
DROP TRIGGER IF EXISTS {trigger} ON {table}
