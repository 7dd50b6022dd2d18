-- The source tables that carry this exporter schema's change trigger.
SELECT c.relname::text AS source_table
FROM pg_trigger AS t
JOIN pg_class AS c ON c.oid = t.tgrelid
JOIN pg_namespace AS n ON n.oid = c.relnamespace
WHERE n.nspname = %(source_schema)s
  AND t.tgname = %(trigger)s
  AND NOT t.tgisinternal
ORDER BY 1
