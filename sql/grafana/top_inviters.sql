-- Grafana panel query (viral board), run as grafana_reader by the PostgreSQL datasource.
-- {schema} is replaced by the exporter's schema when the boards are built; $__ macros are Grafana's.
SELECT rank AS "Rank",
       supplier_id::text AS "Supplier id",
       category AS "Category",
       country AS "Country",
       invitations_sent AS "Sent",
       invitations_accepted AS "Accepted",
       round((100 * conversion_ratio)::numeric, 1) AS "Conversion %"
FROM {schema}.grafana_top_inviters($__timeFrom(), $__timeTo(), 50)
ORDER BY rank
