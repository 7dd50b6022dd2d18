-- Grafana panel query (revenue board), run as grafana_reader by the PostgreSQL datasource.
-- The functions are found through grafana_reader's search_path (the exporter schema); $__ macros are Grafana's.
SELECT supplier_id::text AS "Supplier id",
       category AS "Category",
       country AS "Country",
       movement AS "Movement",
       round(mrr_start, 2) AS "MRR at start",
       round(mrr_end, 2) AS "MRR at end",
       round(mrr_change, 2) AS "MRR change"
FROM records_mrr_movements($__timeTo(), 10000, $__timeFrom())
WHERE movement IN ('churn', 'contraction')
ORDER BY mrr_change, supplier_id
LIMIT 500
