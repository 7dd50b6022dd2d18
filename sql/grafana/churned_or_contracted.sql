-- Grafana panel query (revenue board), run as grafana_reader by the PostgreSQL datasource.
-- The views are found through grafana_reader's search_path (the exporter schema); $__ macros are Grafana's.
SELECT supplier_id::text AS "Supplier id",
       category AS "Category",
       country AS "Country",
       movement AS "Movement",
       mrr_start AS "MRR at start",
       mrr_end AS "MRR at end",
       mrr_change AS "MRR change"
FROM grafana_supplier_mrr_changes($__timeFrom(), $__timeTo())
WHERE movement IN ('churn', 'contraction')
ORDER BY mrr_change, supplier_id
LIMIT 500
