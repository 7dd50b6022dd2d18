-- Grafana panel query (viral board), run as grafana_reader by the PostgreSQL datasource.
-- The functions are found through grafana_reader's search_path (the exporter schema); $__ macros are Grafana's.
SELECT rank AS "Rank",
       supplier_id::text AS "Supplier id",
       category AS "Category",
       country AS "Country",
       invitations_sent AS "Sent",
       invitations_accepted AS "Accepted",
       round((100 * conversion_ratio)::numeric, 1) AS "Conversion %"
FROM records_top_inviters($__timeFrom(), $__timeTo(), 50)
ORDER BY rank
