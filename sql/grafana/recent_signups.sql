-- Grafana panel query (users board), run as grafana_reader by the PostgreSQL datasource.
-- The functions are found through grafana_reader's search_path (the exporter schema); $__ macros are Grafana's.
SELECT created_at AS "Signed up",
       user_type AS "Side",
       user_id::text AS "Id",
       coalesce(category, '-') AS "Category",
       country AS "Country",
       registered AS "Still registered"
FROM records_signups($__timeFrom(), $__timeTo(), 500)
ORDER BY created_at DESC, user_type, user_id
